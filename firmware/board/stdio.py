# The serial line of a board whose USB CDC (or pseudo-terminal) is its stdin/stdout.  There is no
# "bytes available" call on rp2, so poll, then read one byte at a time; stdout.buffer writes the
# frames unchanged (print would turn \n into \r\n).
import select
import sys


class StdioSerial:
    def __init__(self):
        self.stdin = sys.stdin.buffer
        self.stdout = sys.stdout.buffer
        self.poller = select.poll()
        self.poller.register(self.stdin, select.POLLIN)

    def serial_read_into(self, buf):
        n = 0
        while n < len(buf) and self.poller.poll(0):
            b = self.stdin.read(1)
            if not b:
                break
            buf[n] = b[0]
            n += 1
        return n

    def serial_write(self, data):
        self.stdout.write(data)
