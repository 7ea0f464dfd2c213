# The serial link: COBS frames delimited by 0x00 in, TM packets out.  Receive buffers are
# preallocated; a frame longer than the buffer is dropped whole (counted) and the receiver
# resynchronises at the next delimiter, so garbage on the line never stalls the board.
from core import cobs


class Link:
    def __init__(self, board, max_packet):
        self.board = board
        self.rx = bytearray(max_packet + max_packet // 254 + 2)  # the largest valid encoding
        self.rx_n = 0
        self.overflow = False
        self.chunk = bytearray(256)
        self.packet = bytearray(max_packet)
        self.tx = bytearray(max_packet + max_packet // 254 + 3)
        self.frames_ok = 0
        self.frames_bad = 0  # not COBS, or longer than the largest packet

    def poll(self, on_packet, max_chunks=8):
        """Read what the line holds (at most max_chunks reads) and hand each whole packet to
        on_packet(buffer, length)."""
        rx = self.rx
        chunk = self.chunk
        for _ in range(max_chunks):
            n = self.board.serial_read_into(chunk)
            if n <= 0:
                return
            for i in range(n):
                b = chunk[i]
                if b != 0:
                    if self.rx_n < len(rx):
                        rx[self.rx_n] = b
                        self.rx_n += 1
                    else:
                        self.overflow = True
                    continue
                if self.overflow:
                    self.frames_bad += 1
                    self.overflow = False
                elif self.rx_n:
                    m = cobs.decode_into(rx, self.rx_n, self.packet)
                    if m < 0:
                        self.frames_bad += 1
                    else:
                        self.frames_ok += 1
                        on_packet(self.packet, m)
                self.rx_n = 0

    def send(self, buf, n):
        frame = cobs.encode(memoryview(buf)[:n], self.tx)
        frame.append(0)
        self.board.serial_write(frame)
