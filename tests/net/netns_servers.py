#!/usr/bin/env python3
"""Test hosts for tests/net, run inside the test's own network namespace
(or on the host for the 'host service' listener).  Serves:
  TCP  on every --addr and --tcp port: greets with "hello from ADDR:PORT"
  UDP  on every --addr, --udp port: answers "echo from ADDR"
  DNS  on --dns ADDR:53 (UDP and TCP) for the test zone, logging every query name
       to --dns-log; rot.allowed.test answers the address in --rot-file;
       chain.allowed.test answers through a CNAME chain (mixed case) and adds
       an A record under an unrelated owner name (what a hostile upstream
       would append); *.attacker.test and *.exfil.test answer 198.51.100.66.
Stops on SIGTERM.  Writes --ready once every socket is bound."""
import argparse, os, signal, socket, struct, sys, threading

ZONE = {
    "api.allowed.test": "198.51.100.10",
    "port.allowed.test": "198.51.100.11",
    "x.wild.test": "198.51.100.12",
    "deep.x.wild.test": "198.51.100.12",
    "wild.test": "198.51.100.12",
    "blocked.test": "198.51.100.13",
    "lan.allowed.test": "10.77.0.10",
    "secret.attacker.test": "198.51.100.66",
}

def tcp_server(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(64)
    def loop():
        while True:
            c, _ = s.accept()
            try: c.sendall(f"hello from {addr}:{port}\n".encode())
            except OSError: pass
            c.close()
    return loop

def udp_server(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    def loop():
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(f"echo from {addr}".encode(), peer)
    return loop

def qname(msg):
    pos, labels = 12, []
    while msg[pos]:
        l = msg[pos]; labels.append(msg[pos + 1:pos + 1 + l].decode("ascii", "replace")); pos += 1 + l
    return ".".join(labels).lower(), pos + 1

def encode(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"

def rr(owner, rtype, ttl, rdata):
    return owner + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata

# The chain's end has 198.51.100.40; the extra record under another owner
# name points at 198.51.100.41, which must never be learned.
def chain_answer(msg, end, qtype):
    hdr = msg[:2] + struct.pack("!HHHHH", 0x8180, 1, 3 if qtype == 1 else 0, 0, 0)
    body = msg[12:end + 4]
    if qtype == 1:
        body += rr(b"\xc0\x0c", 5, 60, encode("Edge.Chain-CDN.test"))
        body += rr(encode("EDGE.chain-cdn.TEST"), 1, 60, socket.inet_aton("198.51.100.40"))
        body += rr(encode("unrelated.test"), 1, 60, socket.inet_aton("198.51.100.41"))
    return hdr + body

def dns_answer(msg, log_path, rot_path):
    name, end = qname(msg)
    qtype = struct.unpack("!H", msg[end:end + 2])[0]
    with open(log_path, "a") as f:
        f.write(name + "\n")
    if name == "chain.allowed.test":
        return chain_answer(msg, end, qtype)
    ip, ttl = ZONE.get(name), 60
    if name.endswith(".attacker.test") or name.endswith(".exfil.test"):
        ip = "198.51.100.66"
    if name == "rot.allowed.test":
        with open(rot_path) as f:
            ip = f.read().strip()
        ttl = 1
    flags = 0x8180 if ip else 0x8183
    an = 1 if ip and qtype == 1 else 0
    hdr = msg[:2] + struct.pack("!HHHHH", flags, 1, an, 0, 0)
    body = msg[12:end + 4]
    if an:
        body += struct.pack("!HHHIH", 0xc00c, 1, 1, ttl, 4) + socket.inet_aton(ip)
    return hdr + body

def dns_server(addr, log_path, rot_path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    def loop():
        while True:
            msg, peer = s.recvfrom(4096)
            try:
                s.sendto(dns_answer(msg, log_path, rot_path), peer)
            except Exception:
                continue
    return loop

def dns_tcp_server(addr, log_path, rot_path):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53)); s.listen(16)
    def loop():
        while True:
            c, _ = s.accept()
            c.settimeout(3)
            try:
                n = struct.unpack("!H", c.recv(2, socket.MSG_WAITALL))[0]
                r = dns_answer(c.recv(n, socket.MSG_WAITALL), log_path, rot_path)
                c.sendall(struct.pack("!H", len(r)) + r)
            except Exception:
                pass
            c.close()
    return loop

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", action="append", default=[])
    ap.add_argument("--tcp", action="append", type=int, default=[])
    ap.add_argument("--udp", type=int, default=0)
    ap.add_argument("--dns"); ap.add_argument("--dns-log"); ap.add_argument("--rot-file")
    ap.add_argument("--ready", required=True)
    a = ap.parse_args()
    loops = []
    for addr in a.addr:
        for port in a.tcp:
            loops.append(tcp_server(addr, port))
        if a.udp:
            loops.append(udp_server(addr, a.udp))
    if a.dns:
        loops.append(dns_server(a.dns, a.dns_log, a.rot_file))
        loops.append(dns_tcp_server(a.dns, a.dns_log, a.rot_file))
    for l in loops:
        threading.Thread(target=l, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    with open(a.ready, "w") as f:
        f.write("ready\n")
    signal.pause() if hasattr(signal, "pause") else threading.Event().wait()
    while True:
        signal.pause()

main()
