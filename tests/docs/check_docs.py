#!/usr/bin/env python3
"""The docs test: what the documentation says is what terrain does.

  check_docs.py reference  the configuration reference in docs/configuration.md is exactly
                           what `terrain config-reference` prints (the keys `check` accepts)
  check_docs.py routes     every route the server registers is in docs/openapi.yaml, and
                           every route there is registered; every $ref resolves
  check_docs.py answers    the answers the integration tests recorded (TERRAIN_RECORD_DIR)
                           validate against the description: a documented route, a documented
                           status, a body matching its schema
  check_docs.py examples   every shell example in README.md and docs/ runs against a real
                           terrain and exits 0; every YAML and JSON example parses

Usage: check_docs.py CHECK --terrain BIN --source DIR [--answers DIR]
"""
import argparse
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import jsonschema
import yaml

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr)


def load_openapi(source):
    with open(os.path.join(source, "docs", "openapi.yaml")) as f:
        return yaml.safe_load(f)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Terrain:
    """The real binary on a free port with its own data directory."""

    def __init__(self, binary, config_text=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="terrain-docs-")
        self.port = free_port()
        args = [binary, "run", "--listen", "127.0.0.1:%d" % self.port,
                "--data-dir", os.path.join(self.dir, "data")]
        if config_text is not None:
            path = os.path.join(self.dir, "terrain.yaml")
            with open(path, "w") as f:
                f.write(config_text)
            args += ["--config", path]
        self.log_path = os.path.join(self.dir, "terrain.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **(env or {})))
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("terrain exited at start:\n" + self.read_log())
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % self.port, timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("terrain did not become ready:\n" + self.read_log())

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


# --- the configuration reference -------------------------------------------------------------

def check_reference(args):
    generated = subprocess.run([args.terrain, "config-reference"], check=True,
                               capture_output=True, text=True).stdout.strip()
    with open(os.path.join(args.source, "docs", "configuration.md")) as f:
        page = f.read()
    m = re.search(r"<!-- BEGIN terrain config-reference -->\n(.*)\n<!-- END terrain config-reference -->",
                  page, re.S)
    if not m:
        fail("docs/configuration.md has no generated reference section")
    elif m.group(1).strip() != generated:
        fail("docs/configuration.md's reference differs from `terrain config-reference`: run scripts/docs")
    # Every kind terrain knows has its section.
    for kind in ("sendgrid", "mailgun", "ses", "slack", "teams", "threshold", "knn"):
        if "`" + kind + "`" not in generated and "`type: " + kind + "`" not in generated:
            fail("the reference does not mention " + kind)


# --- routes -----------------------------------------------------------------------------------

# A configuration with every optional route on: the chat platforms' click endpoints.
EVERY_ROUTE_CONFIG = """
interact:
  slack_signing_secret: {env: DOCS_SLACK_SECRET}
  mattermost_secret: {env: DOCS_MATTERMOST_SECRET}
  public_url: http://127.0.0.1:9
  teams_app_id: docs-test-app
  teams_app_password: {env: DOCS_TEAMS_PASSWORD}
  teams_openid_url: http://127.0.0.1:9/openid
  teams_token_url: http://127.0.0.1:9/token
"""

METHODS = ("get", "post", "put", "patch", "delete")


def documented_operations(api):
    for path, item in api["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path


def check_refs(node, api, where):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = api
            for part in ref.lstrip("#/").split("/"):
                if not isinstance(target, dict) or part not in target:
                    fail("%s: $ref %s does not resolve" % (where, ref))
                    return
                target = target[part]
        for key, value in node.items():
            check_refs(value, api, where + "/" + str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            check_refs(value, api, where + "/" + str(i))


def check_routes(args):
    api = load_openapi(args.source)
    if not str(api.get("openapi", "")).startswith("3."):
        fail("docs/openapi.yaml is not an OpenAPI 3 document")
    check_refs(api, api, "openapi.yaml")
    # Every operation documents at least one answer, and every one has an id.
    for method, path in documented_operations(api):
        op = api["paths"][path][method.lower()]
        if not op.get("responses"):
            fail("%s %s documents no response" % (method, path))
        if not op.get("operationId"):
            fail("%s %s has no operationId" % (method, path))
    secrets = {"DOCS_SLACK_SECRET": "s" * 32, "DOCS_MATTERMOST_SECRET": "m" * 32,
               "DOCS_TEAMS_PASSWORD": "t" * 16}
    terrain = Terrain(args.terrain, EVERY_ROUTE_CONFIG, secrets)
    try:
        m = re.search(r"routes: (.*)", terrain.read_log())
    finally:
        terrain.stop()
    if not m:
        fail("terrain logged no routes line")
        return
    registered = [r.split(" ", 1) for r in m.group(1).strip().split(", ")]
    documented = list(documented_operations(api))
    print("routes: %d registered, %d documented operations" % (len(registered), len(documented)))
    for method, path in registered:
        if path.endswith("*"):
            if not any(m == method and p.startswith(path[:-1]) for m, p in documented):
                fail("the server serves %s %s but docs/openapi.yaml has no route under it" % (method, path))
        elif (method, path) not in documented:
            fail("the server serves %s %s but docs/openapi.yaml does not describe it" % (method, path))
    for method, path in documented:
        served = any(m == method and (p == path or (p.endswith("*") and path.startswith(p[:-1])))
                     for m, p in registered)
        if not served:
            fail("docs/openapi.yaml describes %s %s, which the server does not serve" % (method, path))


# --- recorded answers -------------------------------------------------------------------------

def path_pattern(template):
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


# Answers the HTTP server gives before any route: the documented framing refusals.
SERVER_REFUSALS = {400, 403, 404, 405, 413, 415, 421, 431}


def check_answers(args):
    api = load_openapi(args.source)
    routes = [(path_pattern(p), p) for p in api["paths"]]
    error_schema = {"$ref": "#/components/schemas/Error"}
    files = glob.glob(os.path.join(args.answers, "answers-*.jsonl"))
    answers = []
    for name in files:
        with open(name) as f:
            answers += [json.loads(line) for line in f if line.strip()]
    if len(answers) < 100:
        fail("only %d recorded answers in %s: did the integration tests run with "
             "TERRAIN_RECORD_DIR?" % (len(answers), args.answers))
    seen_routes = set()
    bad = 0
    # The scenario tests record hundreds of thousands of ingest answers, nearly all alike:
    # each distinct answer (method, path, status, body) is checked once.
    distinct = {}
    for a in answers:
        key = (a["method"], a["path"].split("?", 1)[0], a["status"], a.get("not_json"),
               json.dumps(a.get("body"), sort_keys=True))
        distinct.setdefault(key, a)
    for a in distinct.values():
        path = a["path"].split("?", 1)[0]
        method = a["method"].lower()
        status = str(a["status"])
        where = "%s %s -> %s" % (a["method"], a["path"][:80], status)
        if a.get("not_json"):
            fail(where + ": Content-Type says JSON but the body is not")
            bad += 1
            continue
        match = next((p for pattern, p in routes if pattern.match(path)), None)
        operation = api["paths"][match].get(method) if match else None
        if operation is None:
            # Not a route: the server's own refusal, which must be the documented Error.
            if a["status"] not in SERVER_REFUSALS:
                fail(where + ": no such route in docs/openapi.yaml")
                bad += 1
            elif "body" in a and not validate(a["body"], error_schema, api, where):
                bad += 1
            continue
        seen_routes.add((method, match))
        response = operation["responses"].get(status) or operation["responses"].get("default")
        if response is None:
            # The server's framing refusals apply to every route.
            if a["status"] in SERVER_REFUSALS and "body" in a:
                if not validate(a["body"], error_schema, api, where):
                    bad += 1
                continue
            fail(where + ": status %s is not documented for %s %s" % (status, method.upper(), match))
            bad += 1
            continue
        response = resolve(response, api)
        schema = (response.get("content", {}).get("application/json", {}) or {}).get("schema")
        if schema is not None and "body" in a:
            if not validate(a["body"], schema, api, where):
                bad += 1
    print("answers: %d recorded (%d distinct), %d routes exercised, %d not as documented"
          % (len(answers), len(distinct), len(seen_routes), bad))


def resolve(node, api):
    while isinstance(node, dict) and "$ref" in node:
        target = api
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


VALIDATORS = {}


def validate(body, schema, api, where):
    validator = VALIDATORS.get(id(schema))
    if validator is None:
        validator = VALIDATORS[id(schema)] = jsonschema.Draft202012Validator(
            schema, resolver=jsonschema.RefResolver.from_schema(api))
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        fail("%s: body does not match the schema at %s: %s"
             % (where, "/".join(str(p) for p in e.path) or "(root)", e.message[:300]))
        return False
    return True


# --- examples ---------------------------------------------------------------------------------

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def doc_files(source):
    files = [os.path.join(source, "README.md")]
    # Getting started first: later pages may use the alert it raises.
    order = ["getting-started.md"]
    docs = sorted(glob.glob(os.path.join(source, "docs", "**", "*.md"), recursive=True))
    docs.sort(key=lambda p: (os.path.basename(p) not in order, p))
    return files + docs


def check_examples(args):
    terrain = Terrain(args.terrain)
    work = tempfile.mkdtemp(prefix="terrain-examples-")
    run = 0
    skipped = 0
    try:
        for name in doc_files(args.source):
            with open(name) as f:
                text = f.read()
            rel = os.path.relpath(name, args.source)
            for m in FENCE.finditer(text):
                lang, body = m.group(1), m.group(2)
                line = text.count("\n", 0, m.start()) + 1
                before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
                where = "%s:%d" % (rel, line)
                if lang == "yaml":
                    try:
                        yaml.safe_load(body)
                    except yaml.YAMLError as e:
                        fail("%s: the YAML example does not parse: %s" % (where, e))
                elif lang == "json":
                    try:
                        json.loads(body)
                    except ValueError as e:
                        fail("%s: the JSON example does not parse: %s" % (where, e))
                elif lang == "sh":
                    if before.startswith("<!-- not run"):
                        skipped += 1
                        continue
                    run += 1
                    script = (body.replace("127.0.0.1:8686", "127.0.0.1:%d" % terrain.port)
                              .replace("localhost:8686", "127.0.0.1:%d" % terrain.port)
                              .replace("build/terrain", args.terrain))
                    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work,
                                       capture_output=True, text=True, timeout=600)
                    print("example %s: exit %d" % (where, r.returncode))
                    if r.returncode != 0:
                        fail("%s: the example exits %d\n--- script\n%s--- output\n%s%s"
                             % (where, r.returncode, body, r.stdout[-2000:], r.stderr[-2000:]))
    finally:
        terrain.stop()
    print("examples: %d run, %d marked not run" % (run, skipped))
    if run < 5:
        fail("only %d shell examples ran" % run)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("check", choices=["reference", "routes", "answers", "examples"])
    parser.add_argument("--terrain", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--answers")
    args = parser.parse_args()
    args.terrain = os.path.abspath(args.terrain)
    args.source = os.path.abspath(args.source)
    if args.answers:
        args.answers = os.path.abspath(args.answers)
    {"reference": check_reference, "routes": check_routes, "answers": check_answers,
     "examples": check_examples}[args.check](args)
    if failures:
        print("%d problem(s)" % len(failures), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
