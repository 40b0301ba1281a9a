"""Animated GIFs built byte by byte: a few bytes a frame, however large the screen."""

import struct


def sparse_gif(frames: int, width: int, height: int) -> bytes:
    """A GIF whose logical screen is `width` x `height` and whose frames each paint one
    pixel: tiny on disk, while a decoder composes a whole screen for every frame."""
    out = bytearray(b"GIF89a" + struct.pack("<HH", width, height) + bytes([0x80, 0, 0]))
    out += bytes([0, 0, 0, 255, 255, 255])  # a global palette of two colours
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for i in range(frames):
        out += b"\x21\xf9\x04\x04\x05\x00\x00\x00"  # keep the frame, show it 50 ms
        x, y = i % width, (i // width) % height
        out += b"\x2c" + struct.pack("<HHHH", x, y, 1, 1) + b"\x00"
        # LZW, minimum code size 2: clear (4), the pixel's colour, end (5), in 3-bit codes.
        colour = i % 2
        out += bytes([2, 2, 4 | (colour << 3) | ((5 & 3) << 6), 5 >> 2, 0])
    out += b"\x3b"
    return bytes(out)
