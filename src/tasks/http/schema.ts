/**
 * The properties of `io.kestra.plugin.core.http.Request` and `Download`, with Kestra's names and
 * defaults (AbstractHttp and HttpConfiguration). `options` may hold expressions at any depth: the
 * flow checker checks it where none stands, and the task parses it again once rendered.
 */
import { z } from 'zod';
import { anyMap, boolean, duration, integer, isExpression, oneOf, string, stringMap, strictMap, text } from '../../flow/schema-kit.ts';
import type { TaskSlots } from '../descriptor.ts';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'] as const;

/** A method name in any case, or an expression that renders to one. */
function method() {
  return string(`an HTTP method (${HTTP_METHODS.join(', ')})`)
    .refine((value: string) => (HTTP_METHODS as readonly string[]).includes(value.toUpperCase()) || isExpression(value), {
      error: (issue) => `expected an HTTP method (${HTTP_METHODS.join(', ')}), got '${String(issue.input)}'`,
    });
}

const authSchema = strictMap({
  type: oneOf(['BASIC', 'BEARER'], 'any case').describe('BASIC (username and password) or BEARER (token)'),
  username: text().optional().describe('BASIC: the user name'),
  password: text().optional().describe('BASIC: the password'),
  token: text().optional().describe('BEARER: the token sent as `Authorization: Bearer <token>`'),
}, 'an auth map (type BASIC with username and password, or BEARER with token)');

export const httpOptionsSchema = strictMap({
  timeout: strictMap({
    connectTimeout: duration().optional().describe('How long establishing the connection (and TLS) may take; no limit by default'),
    readIdleTimeout: duration().default('PT5M').describe('How long the connection may stay silent while the answer is awaited or read (default PT5M)'),
  }, 'a timeout map (connectTimeout, readIdleTimeout)').optional().describe('Connection and read timeouts'),
  auth: authSchema.optional().describe('Credentials sent with the request (sent up front, not after a 401 challenge)'),
  ssl: strictMap({
    insecureTrustAllCertificates: boolean().optional().describe('Accept any server certificate: for test servers only'),
  }, 'an ssl map (insecureTrustAllCertificates)').optional().describe('TLS settings'),
  followRedirects: boolean().default(true).describe('Follow 3xx redirects (at most 20), default true'),
  allowFailed: boolean().default(false).describe('Accept answers with a status of 400 or more instead of failing the task, default false'),
  allowedResponseCodes: z.array(integer('an HTTP status code'), { error: () => 'expected a list of HTTP status codes' }).optional()
    .describe('Only these status codes succeed; any other fails the task'),
  defaultCharset: oneOf(['UTF-8'], 'any case').default('UTF-8').describe('The charset of a text body (only UTF-8)'),
  logs: z.array(oneOf(['REQUEST_HEADERS', 'REQUEST_BODY', 'RESPONSE_HEADERS', 'RESPONSE_BODY'], 'any case'),
    { error: () => 'expected a list of REQUEST_HEADERS, REQUEST_BODY, RESPONSE_HEADERS, RESPONSE_BODY' }).default([])
    .describe('What of the exchange goes into the task log (at DEBUG)'),
  maxContentLength: integer('a number of bytes', 1).optional()
    .describe('Request only: the largest response body kept as the `body` output (default 10 MiB); use Download for more'),
  /** Kestra's deprecated spellings, mapped onto the ones above. */
  connectTimeout: duration().optional().describe('Deprecated: timeout.connectTimeout'),
  readTimeout: duration().optional().describe('Deprecated: timeout.readIdleTimeout'),
  readIdleTimeout: duration().optional().describe('Deprecated: timeout.readIdleTimeout'),
  connectionPoolIdleTimeout: duration().optional().describe('Deprecated and ignored, as in Kestra'),
  basicAuthUser: text().optional().describe('Deprecated: auth.username with type BASIC'),
  basicAuthPassword: text().optional().describe('Deprecated: auth.password with type BASIC'),
}, 'an options map (timeout, auth, ssl, followRedirects, allowFailed, ...)').describe('Timeouts, auth, TLS, redirects and failure handling');

export type HttpOptions = z.output<typeof httpOptionsSchema>;

function httpCommon(slots: TaskSlots) {
  return {
    uri: string().describe('The URL to call (http or https)'),
    method: method().default('GET').describe('The HTTP method, default GET'),
    body: text().optional().describe('The request body, sent as text with contentType'),
    formData: anyMap('a map of form fields').optional()
      .describe('Form fields: URL-encoded, or multipart/form-data when contentType says so (a kestra:/// value, or {name, content}, sends a stored file)'),
    contentType: string().default('application/json').describe('The Content-Type of the request, default application/json'),
    headers: stringMap('a map of header names to values').optional().describe('Request headers'),
    options: slots.settings(httpOptionsSchema, 'Connection options: timeouts, redirects, allowed response codes, authentication, TLS, what to log'),
    allowFailed: boolean().optional().describe('Deprecated: options.allowFailed'),
    sslOptions: strictMap({
      insecureTrustAllCertificates: boolean().optional().describe('Accept any server certificate'),
    }, 'an sslOptions map (insecureTrustAllCertificates)').optional().describe('Deprecated: options.ssl'),
  };
}

export function requestProperties(slots: TaskSlots) {
  return httpCommon(slots);
}

export function downloadProperties(slots: TaskSlots) {
  return {
    ...httpCommon(slots),
    failOnEmptyResponse: boolean().default(true).describe('Fail when the answer has an empty body, default true (else a warning)'),
  };
}

/** What either variant's schema yields. */
export type HttpProperties = z.output<z.ZodObject<ReturnType<typeof httpCommon>>> & { failOnEmptyResponse?: boolean };
