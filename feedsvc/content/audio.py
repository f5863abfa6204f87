"""How long an audio file plays, read from its first bytes alone (a range request):
MP3 from its first frame (the Xing, Info or VBRI frame count, else the bit rate of a
constant-rate file over its length), M4A from its movie header when it comes first
(as in files made for streaming). None when the head does not say."""

import struct

HEAD_BYTES = 64 * 1024  # what a range request asks for

_MP3_BITRATES = {  # kbit/s by bitrate index, Layer III
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_MP4_CONTAINERS = (b"moov",)


def duration(head: bytes, total: int | None) -> int | None:
    """Whole seconds the audio plays, from its first bytes and its length in bytes."""
    if head[4:8] == b"ftyp":
        return _mp4_duration(head)
    return _mp3_duration(head, total)


def _id3_size(head: bytes) -> int:
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    return size + 10 + (10 if head[5] & 0x10 else 0)


def _mp3_duration(head: bytes, total: int | None) -> int | None:
    start = _id3_size(head)
    for at in range(start, min(len(head) - 4, start + 4096)):
        if head[at] != 0xFF or head[at + 1] & 0xE0 != 0xE0:
            continue
        version, layer = (head[at + 1] >> 3) & 3, (head[at + 1] >> 1) & 3
        bitrate_index, rate_index = head[at + 2] >> 4, (head[at + 2] >> 2) & 3
        if layer != 1 or version == 1 or rate_index == 3 or bitrate_index in (0, 15):
            continue  # not an MPEG Layer III frame header
        mpeg1 = version == 3
        rate = _MP3_RATES[version][rate_index]
        bitrate = _MP3_BITRATES[1 if mpeg1 else 2][bitrate_index] * 1000
        mono = head[at + 3] >> 6 == 3
        samples = 1152 if mpeg1 else 576
        side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
        if frames := _vbr_frames(head, at + 4 + side, at + 36):
            return round(frames * samples / rate)
        if total is None or total <= at:
            return None
        return round((total - at) * 8 / bitrate)
    return None


def _vbr_frames(head: bytes, xing: int, vbri: int) -> int | None:
    """The frame count a variable-rate file states in its first frame, if it does."""
    if head[xing : xing + 4] in (b"Xing", b"Info") and len(head) >= xing + 12:
        flags, frames = struct.unpack(">II", head[xing + 4 : xing + 12])
        return frames if flags & 1 and frames else None
    if head[vbri : vbri + 4] == b"VBRI" and len(head) >= vbri + 18:
        (frames,) = struct.unpack(">I", head[vbri + 14 : vbri + 18])
        return frames or None
    return None


def _mp4_duration(head: bytes) -> int | None:
    """The movie header's duration over its time scale, when the movie box is in the head."""
    at = 0
    while at + 8 <= len(head):
        size, kind = struct.unpack(">I4s", head[at : at + 8])
        if kind in _MP4_CONTAINERS:
            at += 8  # into the box: its children follow
            continue
        if kind == b"mvhd":
            body = head[at + 8 : at + 40]
            if body[:1] == b"\x01" and len(body) >= 32:
                scale, length = struct.unpack(">IQ", body[20:32])
            elif len(body) >= 20:
                scale, length = struct.unpack(">II", body[12:20])
            else:
                return None
            return round(length / scale) if scale else None
        if size < 8:
            return None  # 0 (to the end) or 1 (64-bit size): the head ends before moov
        at += size
    return None
