#!/usr/bin/env python3
"""Pure-Python reference of numdist's Xoshiro256x8 generator (seeding version 2).

Independent of the C code (csrc/xoshiro256.c): plain integers, no numdist import.
It writes the known-answer file the C and Python tests check the build against:

    python tools/xoshiro_reference.py > csrc/tests/data/xoshiro_kat.txt
    python tools/xoshiro_reference.py --keys 64 > keys.txt   # for csrc/tools/rawstream.c

The stream (docs/stream-contract.md):
  * a seed becomes a 128-bit key (key0, key1) = SeedSequence(seed).generate_state(2, uint64);
  * block k (2048 words) has row seeds (R0, R1, R2, R3) = Philox4x64-10(counter=(k, 0, 0, 0),
    key=(key0, key1));
  * state word w of lane l (l = 0..7) is mix64(Rw + (l + 1) * GOLDEN), i.e. SplitMix64 from Rw;
  * the block's words are the 8 xoshiro256++ lanes interleaved: word 8*i + l is output i of lane l.
"""
import sys

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
PHILOX_M = (0xD2E7470EE14C6C93, 0xCA5A826395121157)
PHILOX_W = (0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B)
LANES = 8
BLOCK = 2048
SEEDING_VERSION = 2


def mix64(z):
    """SplitMix64's output function."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def philox4x64_10(ctr, key):
    """Random123's Philox4x64 with 10 rounds."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(10):
        if r:
            k0 = (k0 + PHILOX_W[0]) & MASK
            k1 = (k1 + PHILOX_W[1]) & MASK
        p0 = PHILOX_M[0] * c0
        p1 = PHILOX_M[1] * c2
        c0, c1, c2, c3 = (p1 >> 64) ^ c1 ^ k0, p1 & MASK, (p0 >> 64) ^ c3 ^ k1, p0 & MASK
    return [c0, c1, c2, c3]


def row_seeds(key0, key1, block):
    return philox4x64_10((block & MASK, 0, 0, 0), (key0, key1))


def lane_states(key0, key1, block):
    """s[w][l]: state word w of lane l."""
    rows = row_seeds(key0, key1, block)
    return [[mix64((rows[w] + (l + 1) * GOLDEN) & MASK) for l in range(LANES)] for w in range(4)]


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def block_words(key0, key1, block, nwords=BLOCK):
    """The first nwords words of block `block` of the stream keyed by (key0, key1)."""
    s = lane_states(key0, key1, block)
    out = []
    while len(out) < nwords:
        for lane in range(LANES):
            s0, s1, s2, s3 = s[0][lane], s[1][lane], s[2][lane], s[3][lane]
            out.append((_rotl((s0 + s3) & MASK, 23) + s0) & MASK)
            t = (s1 << 17) & MASK
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s[0][lane], s[1][lane], s[2][lane], s[3][lane] = s0, s1, s2, _rotl(s3, 45)
    return out[:nwords]


def old_block_seed(key0, key1, block):
    """Seeding version 1 (numdist 0.1): one 64-bit SplitMix64 start per block (for the
    collision tests; not used by the generator any more)."""
    return key0 ^ mix64((key1 + mix64((block + GOLDEN) & MASK)) & MASK)


def old_lane_states(key0, key1, block):
    seed = old_block_seed(key0, key1, block)
    s = [[0] * LANES for _ in range(4)]
    for w in range(4):
        for lane in range(LANES):
            seed = (seed + GOLDEN) & MASK
            s[w][lane] = mix64(seed)
    return s


# -- the known-answer file ---------------------------------------------------------------------
KAT_KEYS = [
    (0, 0), (0, 1), (1, 0), (2, 0), (MASK, MASK),
    (0x243F6A8885A308D3, 0x13198A2E03707344),
]
KAT_BLOCKS = [0, 1, 2, 7, 1 << 20, (1 << 20) + 1, (1 << 32) + 5, MASK]
KAT_INDICES = list(range(16)) + [255, 256, 1023, 1024, 2040, 2047]
KAT_PHILOX = [
    ((0, 0, 0, 0), (0, 0)),
    ((MASK, MASK, MASK, MASK), (MASK, MASK)),
    ((0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89),
     (0x452821E638D01377, 0xBE5466CF34E90C6C)),
]
KAT_SEEDS = [0, 1, 42, 2024, 2**63]


def write_kat(fp):
    h = "0x{:016x}".format
    fp.write("# numdist Xoshiro256x8 known answers, seeding version %d\n" % SEEDING_VERSION)
    fp.write("# written by tools/xoshiro_reference.py (pure Python); checked against the C build by\n")
    fp.write("# csrc/tests/test_bits.c and tests/test_streams.py\n")
    fp.write("# philox c0 c1 c2 c3 k0 k1 -> r0 r1 r2 r3  (Philox4x64-10)\n")
    for ctr, key in KAT_PHILOX:
        fp.write(" ".join(["philox"] + [h(v) for v in (*ctr, *key, *philox4x64_10(ctr, key))]) + "\n")
    fp.write("# rows key0 key1 block -> r0 r1 r2 r3\n")
    for k0, k1 in KAT_KEYS:
        for b in KAT_BLOCKS:
            fp.write(" ".join(["rows"] + [h(v) for v in (k0, k1, b, *row_seeds(k0, k1, b))]) + "\n")
    fp.write("# word key0 key1 block index -> word\n")
    for k0, k1 in KAT_KEYS:
        for b in KAT_BLOCKS:
            words = block_words(k0, k1, b)
            for i in KAT_INDICES:
                fp.write("word %s %s %s %d %s\n" % (h(k0), h(k1), h(b), i, h(words[i])))
    try:
        import numpy as np
    except ImportError:  # the seed -> key lines need numpy's SeedSequence
        return
    fp.write("# seed int -> key0 key1 (numpy SeedSequence(seed).generate_state(2, uint64))\n")
    for seed in KAT_SEEDS:
        key = np.random.SeedSequence(seed).generate_state(2, np.uint64)
        fp.write("seed %d %s %s\n" % (seed, h(int(key[0])), h(int(key[1]))))


def write_keys(fp, n):
    """Keys of seeds 0 .. n-1 (hex "k0 k1" lines) for csrc/tools/rawstream.c keys FILE."""
    import numpy as np

    for seed in range(n):
        key = np.random.SeedSequence(seed).generate_state(2, np.uint64)
        fp.write("0x%016x 0x%016x\n" % (int(key[0]), int(key[1])))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--keys":
        write_keys(sys.stdout, int(sys.argv[2]))
    elif len(sys.argv) == 1:
        write_kat(sys.stdout)
    else:
        sys.exit("usage: xoshiro_reference.py            (known-answer file on stdout)\n"
                 "       xoshiro_reference.py --keys N   (keys of seeds 0..N-1, for rawstream)")
