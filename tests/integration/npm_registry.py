#!/usr/bin/env python3
"""A minimal npm registry for one package, run inside a test's network
namespace: GET /NAME answers the package document, GET /NAME/-/FILE the
tarball; anything else is 404.  Every request line goes to LOG.

Usage: npm_registry.py ADDR PORT NAME METADATA_JSON TARBALL LOG"""
import http.server
import os
import sys


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    addr, port, name, meta_path, tgz_path, log_path = sys.argv[1:]
    files = {
        "/" + name: (meta_path, "application/json"),
        "/%s/-/%s" % (name, os.path.basename(tgz_path)): (tgz_path, "application/octet-stream"),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with open(log_path, "a") as log:
                log.write("GET %s\n" % self.path)
            path = self.path.split("?")[0]
            if path not in files:
                self.send_error(404)
                return
            fpath, ctype = files[path]
            with open(fpath, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer((addr, int(port)), Handler).serve_forever()


if __name__ == "__main__":
    main()
