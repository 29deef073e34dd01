#!/usr/bin/python3
# echo_server.py PORT: an asyncio UDP echo server (DatagramProtocol) on
# 0.0.0.0:PORT and [::]:PORT (IPV6_V6ONLY), each datagram sent back to its
# sender as it came. Prints "listening" once both are bound. An empty
# datagram is answered on the socket itself: Python 3.11's
# transport.sendto() silently drops empty data.
import asyncio
import socket
import sys


class Echo(asyncio.DatagramProtocol):
    def __init__(self, sock):
        self.sock = sock

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if data:
            self.transport.sendto(data, addr)
        else:
            self.sock.sendto(data, addr)

    def error_received(self, exc):
        print("error_received", exc, flush=True)


async def main(port):
    loop = asyncio.get_running_loop()
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s4.bind(("0.0.0.0", port))
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.bind(("::", port))
    for s in (s4, s6):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        await loop.create_datagram_endpoint(lambda s=s: Echo(s), sock=s)
    print("listening", port, flush=True)
    await asyncio.Event().wait()


asyncio.run(main(int(sys.argv[1])))
