/**
 * `from kestra import Kestra` inside a Python task, with nothing to install: this module is written
 * next to the task's files and put on PYTHONPATH. It prints the `::{json}::` protocol lines.
 */
export const PYTHON_HELPER_DIR = '.harrier/python';

export const PYTHON_KESTRA_MODULE = `"""Harrier's stand-in for Kestra's Python library: outputs, counters, timers and logs."""
import json
import sys
import time


class Kestra:
    @staticmethod
    def _send(payload):
        sys.stdout.write("::" + json.dumps(payload, default=str) + "::\\n")
        sys.stdout.flush()

    @staticmethod
    def outputs(values):
        Kestra._send({"outputs": values})

    @staticmethod
    def counter(name, value, tags=None):
        Kestra._send({"metrics": [{"name": name, "type": "counter", "value": value, "tags": tags or {}}]})

    @staticmethod
    def timer(name, duration, tags=None):
        if callable(duration):
            start = time.time()
            duration()
            duration = time.time() - start
        Kestra._send({"metrics": [{"name": name, "type": "timer", "value": duration, "tags": tags or {}}]})

    @staticmethod
    def log(level, message):
        Kestra._send({"logs": [{"level": level, "message": message}]})

    @staticmethod
    def logger():
        import logging
        logger = logging.getLogger("Kestra")
        if not logger.handlers:
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
        return logger
`;
