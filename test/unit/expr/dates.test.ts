import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from './support.ts';

const at = { when: new Date('2024-02-29T23:05:09.007Z') };

test('date() with Java patterns', () => {
  assert.equal(render(`{{ when | date("yyyy-MM-dd'T'HH:mm:ss") }}`, at), '2024-02-29T23:05:09');
  assert.equal(render(`{{ when | date('yyyy') }}/{{ when | date('MM') }}/{{ when | date('dd') }}`, at), '2024/02/29');
  assert.equal(render(`{{ when | date('HH:mm:ss.SSS') }}`, at), '23:05:09.007');
  assert.equal(render(`{{ when | date('yy M d H m s') }}`, at), '24 2 29 23 5 9');
  assert.equal(render(`{{ when | date('EEE EEEE MMM MMMM') }}`, at), 'Thu Thursday Feb February');
  assert.equal(render(`{{ when | date('hh a') }}`, at), '11 PM');
  assert.equal(render(`{{ when | date("'at' HH'h' '''quoted'''") }}`, at), "at 23h 'quoted'");
  assert.equal(render(`{{ when | date('D') }}`, at), '60');
});

test('date() named formats: the default iso, iso8601, sql, iso_local_date', () => {
  assert.equal(render('{{ when | date }}', at), '2024-02-29T23:05:09.007000Z');
  assert.equal(render(`{{ when | date('iso8601') }}`, at), '2024-02-29T23:05:09.007Z');
  assert.equal(render(`{{ when | date('iso_sec') }}`, at), '2024-02-29T23:05:09Z');
  assert.equal(render(`{{ when | date('sql_seq') }}`, at), '2024-02-29 23:05:09');
  assert.equal(render(`{{ when | date('iso_local_date') }}`, at), '2024-02-29');
  assert.equal(render(`{{ when | date('iso_instant') }}`, at), '2024-02-29T23:05:09.007Z');
});

test('date() inputs: ISO strings (with or without offset), epoch milliseconds and seconds', () => {
  assert.equal(render(`{{ '2024-01-15T10:00:00Z' | date('yyyy-MM-dd HH:mm') }}`), '2024-01-15 10:00');
  assert.equal(render(`{{ '2024-01-15T10:00:00+02:00' | date('HH:mm') }}`), '08:00');
  assert.equal(render(`{{ '2024-01-15T10:00:00.123456Z' | date('SSS') }}`), '123');
  assert.equal(render(`{{ '2024-01-15T10:00:00' | date('HH') }}`), '10');
  assert.equal(render(`{{ '2024-01-15' | date('yyyy/MM/dd') }}`), '2024/01/15');
  assert.equal(render(`{{ '2024-01-15T10:00:00+01:00[Europe/Paris]' | date('HH') }}`), '09');
  assert.equal(render(`{{ 1700000000000 | date('yyyy-MM-dd') }}`), '2023-11-14');
  assert.equal(render(`{{ 1700000000 | date('yyyy-MM-dd') }}`), '2023-11-14');
  assert.throws(() => render(`{{ 'yesterday' | date('yyyy') }}`), /filter 'date': cannot read the string \(9 characters\) as a date: expected ISO 8601/);
  assert.throws(() => render(`{{ '2024-13-01' | date('yyyy') }}`), /cannot read the string \(10 characters\) as a date/);
});

test('date() with timeZone and existingFormat', () => {
  assert.equal(render(`{{ '2024-07-01T12:00:00Z' | date('HH:mm XXX', timeZone='Europe/Paris') }}`), '14:00 +02:00');
  assert.equal(render(`{{ '2024-01-01T12:00:00Z' | date('HH:mm XXX', timeZone='Europe/Paris') }}`), '13:00 +01:00');
  assert.equal(render(`{{ '2024-01-01T12:00:00Z' | date('HH:mm', timeZone='+05:30') }}`), '17:30');
  assert.equal(render(`{{ '31/12/2023 08:15' | date('yyyy-MM-dd HH:mm', existingFormat='dd/MM/yyyy HH:mm') }}`), '2023-12-31 08:15');
  assert.throws(() => render(`{{ '2024' | date('yyyy', existingFormat='dd/MM/yyyy') }}`), /the string does not match the format 'dd\/MM\/yyyy'/);
  assert.throws(() => render(`{{ now() | date('HH', timeZone='Mars/Base') }}`), /unknown time zone 'Mars\/Base'/);
  assert.throws(() => render(`{{ now() | date('qqq') }}`), /the date pattern letter 'q' is not supported/);
});

test('dateAdd() with Java units, calendar-aware for months and years', () => {
  assert.equal(render(`{{ when | dateAdd(1, 'DAYS') | date('yyyy-MM-dd') }}`, at), '2024-03-01');
  assert.equal(render(`{{ when | dateAdd(-2, 'HOURS') | date('HH:mm') }}`, at), '21:05');
  assert.equal(render(`{{ when | dateAdd(1, 'YEARS') | date('yyyy-MM-dd') }}`, at), '2025-02-28');
  assert.equal(render(`{{ '2024-01-31T00:00:00Z' | dateAdd(1, 'MONTHS') | date('yyyy-MM-dd') }}`), '2024-02-29');
  assert.equal(render(`{{ when | dateAdd(2, 'WEEKS') | date('yyyy-MM-dd') }}`, at), '2024-03-14');
  assert.equal(render(`{{ when | dateAdd(90, 'minutes') | date('HH:mm') }}`, at), '00:35');
  assert.equal(render(`{{ when | dateAdd(1, 'DAYS', format='yyyy-MM-dd') }}`, at), '2024-03-01');
  // Without a format, Kestra prints the result in its 'iso' format.
  assert.equal(render(`{{ when | dateAdd(1, 'DAYS') }}`, at), '2024-03-01T23:05:09.007000Z');
  assert.throws(() => render(`{{ when | dateAdd(1, 'FORTNIGHTS') }}`, at), /filter 'dateAdd': unknown unit 'FORTNIGHTS'/);
});

test('dateAdd() moves text in its own offset, else in the given zone, as Kestra parses it', () => {
  // Europe/Paris moves to summer time on 2024-03-31. Text with an offset is a ZonedDateTime in that
  // fixed offset (AbstractDate.convert), so a day later is 12:00+01:00, that is 13:00 in Paris.
  assert.equal(
    render(`{{ '2024-03-30T12:00:00+01:00' | dateAdd(1, 'DAYS', timeZone='Europe/Paris') | date('HH:mm XXX', timeZone='Europe/Paris') }}`),
    '13:00 +02:00',
  );
  // Local text is read in the given zone and keeps its wall-clock time across the change.
  assert.equal(render(`{{ '2024-03-30T12:00:00' | dateAdd(1, 'DAYS', timeZone='Europe/Paris') }}`), '2024-03-31T12:00:00.000000+02:00');
  assert.equal(render(`{{ '2013-09-08T16:19:12.123456+01:00' | dateAdd(-1, 'DAYS', timeZone='Europe/Paris') }}`), '2013-09-07T17:19:12.123456+02:00');
  assert.equal(render(`{{ '2013-09-08T16:19:12.123456789Z' | dateAdd(1, 'NANOS', format='ss.SSSSSSSSS') }}`), '12.123456790');
});

test('dates keep microseconds and nanoseconds as Kestra prints them', () => {
  assert.equal(render(`{{ '2013-09-08T16:19:12.123456+01:00' | date(format='iso', timeZone='Europe/Paris') }}`), '2013-09-08T17:19:12.123456+02:00');
  assert.equal(render(`{{ '2013-09-08T16:19:12.123456' | date('yyyy-MM-dd HH:mm:ss.SSSSSSXXX') }}`), '2013-09-08 16:19:12.123456Z');
  assert.equal(render(`{{ '2013-09-08T16:19:12.1234567Z' | date('iso_instant') }}`), '2013-09-08T16:19:12.123456700Z');
  assert.equal(render(`{{ '2013-09-08T16:19:12.12Z' | date('iso_date_time') }}`), '2013-09-08T16:19:12.120Z');
  assert.equal(render(`{{ 'Tue, 08 Feb 2022 19:38:26 GMT' | date(existingFormat='rfc_1123_date_time', timeZone='Europe/Paris') }}`), '2022-02-08T20:38:26.000000+01:00');
});

test('timestamp filters', () => {
  assert.equal(render('{{ when | timestamp }}', at), String(Math.floor(at.when.getTime() / 1000)));
  assert.equal(render('{{ when | timestampMilli }}', at), String(at.when.getTime()));
  // Kestra's timestampMicro is epoch seconds in nanoseconds plus the microseconds (TimestampMicroFilter).
  assert.equal(render('{{ when | timestampMicro }}', at), `${Math.floor(at.when.getTime() / 1000)}000007000`);
  assert.equal(render(`{{ '2013-09-08T16:19:12.123456+01:00' | timestampMicro }}`), '1378653552000123456');
});

test('timestampNano is exact', () => {
  assert.equal(render('{{ when | timestampNano }}', at), `${at.when.getTime()}000000`);
  assert.equal(render(`{{ '2013-09-08T16:19:12.123456+01:00' | timestampNano }}`), '1378653552123456000');
});
