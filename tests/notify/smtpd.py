#!/usr/bin/python3
"""smtpd.py - loopback SMTP server for mamori's notify tests.

Built on Debian's python3-aiosmtpd (run it with /usr/bin/python3; other
Pythons may lack the module). It listens on 127.0.0.1 (or ::1) only, prints
the port it bound on stdout as one line once it accepts connections, and
exits on SIGTERM/SIGINT or after --lifetime seconds, whichever comes first,
so a test that dies cannot leave it running for long.

Modes (what happens to every transaction):
  accept        250 after DATA; the message content (bytes after the
                server's dot-unstuffing, exactly as the client sent them)
                is stored as DIR/NNNN.eml and the envelope as DIR/NNNN.env
  refuse        550 at RCPT TO
  refuse-data   554 after the end of DATA
  tempfail      451 at RCPT TO
  tempfail-data 451 after the end of DATA
  drop          the connection is closed (aborted) when DATA ends, before
                any reply
  slow          the reply to DATA's end is delayed by --delay seconds
                (longer than the client's timeout), then 250, not stored
  auth          as accept, but AUTH (PLAIN/LOGIN, without TLS: loopback
                test only) is required; the one good login is
                "mamori" / "test-secret-9f3a"
  starttls      as auth, but STARTTLS is required before MAIL and AUTH;
                the server makes a throw-away self-signed certificate for
                127.0.0.1 with the openssl command (DIR/cert.pem, which a
                client uses as its CA file; DIR/key.pem)

Usage: smtpd.py --mode MODE [--port N (0 = pick)] [--dir DIR]
                [--host 127.0.0.1] [--delay S] [--lifetime S]
"""
import argparse
import asyncio
import logging
import os
import signal
import ssl
import subprocess
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

LOOPBACK = ("127.0.0.1", "::1", "localhost")
GOOD_LOGIN = (b"mamori", b"test-secret-9f3a")


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and
          (auth_data.login, auth_data.password) == GOOD_LOGIN)
    return AuthResult(success=ok, handled=False)   # server sends 235/535


class Handler:
    def __init__(self, mode, outdir, delay):
        self.mode = mode
        self.outdir = outdir
        self.delay = delay
        self.n = 0

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if self.mode == "refuse":
            return "550 5.1.1 mailbox unavailable (test refuse)"
        if self.mode == "tempfail":
            return "451 4.3.0 try again later (test tempfail)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "refuse-data":
            return "554 5.6.0 message refused (test refuse-data)"
        if self.mode == "tempfail-data":
            return "451 4.3.0 try again later (test tempfail-data)"
        if self.mode == "drop":
            server.transport.abort()
            return "421 4.3.0 closing (not delivered)"
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
            return "250 OK (slow)"
        self.n += 1
        if self.outdir:
            base = os.path.join(self.outdir, "%04d" % self.n)
            with open(base + ".tmp", "wb") as f:
                f.write(envelope.content)
            with open(base + ".env", "w") as f:
                f.write("from %s\n" % envelope.mail_from)
                for r in envelope.rcpt_tos:
                    f.write("rcpt %s\n" % r)
            os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 OK queued as %04d" % self.n


async def main(args):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    handler = Handler(args.mode, args.dir, args.delay)

    tls = None
    if args.mode == "starttls":
        cert = os.path.join(args.dir, "cert.pem")
        key = os.path.join(args.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert],
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)

    def factory():
        if args.mode == "starttls":
            return SMTP(handler, hostname="mamori-test", decode_data=False,
                        ident="mamori-test-smtpd", tls_context=tls,
                        require_starttls=True, auth_required=True,
                        auth_require_tls=True, authenticator=authenticator)
        if args.mode == "auth":
            return SMTP(handler, hostname="mamori-test", decode_data=False,
                        ident="mamori-test-smtpd", auth_required=True,
                        auth_require_tls=False, authenticator=authenticator)
        return SMTP(handler, hostname="mamori-test", decode_data=False,
                    ident="mamori-test-smtpd")

    server = await loop.create_server(factory, host=args.host,
                                      port=args.port)
    port = server.sockets[0].getsockname()[1]
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or
                                stop.set_result(None))
    loop.call_later(args.lifetime, lambda: stop.done() or
                    stop.set_result(None))
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()
    await stop
    server.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="accept",
                    choices=["accept", "refuse", "refuse-data", "tempfail",
                             "tempfail-data", "drop", "slow", "auth",
                             "starttls"])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--delay", type=float, default=30.0)
    ap.add_argument("--lifetime", type=float, default=120.0)
    a = ap.parse_args()
    if a.host not in LOOPBACK:
        sys.exit("smtpd.py: loopback addresses only")
    if a.mode == "starttls" and not a.dir:
        sys.exit("smtpd.py: --mode starttls needs --dir")
    if a.mode == "accept" and a.dir and not os.path.isdir(a.dir):
        sys.exit("smtpd.py: %s: not a directory" % a.dir)
    warnings.simplefilter("ignore")     # AUTH without TLS: loopback only
    logging.disable(logging.CRITICAL)   # e.g. a client refusing our TLS cert
    asyncio.run(main(a))
