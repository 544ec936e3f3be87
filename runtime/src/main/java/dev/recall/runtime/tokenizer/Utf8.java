package dev.recall.runtime.tokenizer;

/**
 * UTF-8 decoding with the same replacement policy as Rust's {@code String::from_utf8_lossy}: each
 * maximal invalid subpart becomes one U+FFFD, so decoded text matches the reference byte for byte.
 */
final class Utf8 {

    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    static String decodeLossy(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        int i = from;
        while (i < to) {
            int n = validSequenceLength(b, i, to);
            if (n > 0) {
                appendCodePoint(sb, b, i, n);
                i += n;
            } else {
                sb.append(REPLACEMENT);
                i += Math.max(1, -n);
            }
        }
        return sb.toString();
    }

    static String decodeLossy(byte[] b) {
        return decodeLossy(b, 0, b.length);
    }

    /** True when the bytes are entirely valid UTF-8. */
    static boolean isValid(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            int n = validSequenceLength(b, i, to);
            if (n <= 0) {
                return false;
            }
            i += n;
        }
        return true;
    }

    /**
     * Length of the incomplete-but-so-far-valid sequence at the end of b[from, to), 0 when the
     * data ends on a character boundary or with bytes that can never become valid.
     */
    static int incompleteTailLength(byte[] b, int from, int to) {
        for (int start = Math.max(from, to - 3); start < to; start++) {
            int need = sequenceLength(b[start] & 0xFF);
            if (need > to - start) {
                int n = validSequenceLength(b, start, to);
                // A truncated valid prefix reports -(bytes so far) reaching the end of the data.
                return n < 0 && -n == to - start ? to - start : 0;
            }
        }
        return 0;
    }

    /** Bytes a sequence starting with this lead byte has, or 0 when it cannot lead. */
    private static int sequenceLength(int lead) {
        if (lead < 0x80) {
            return 1;
        } else if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        return 0;
    }

    /**
     * Length n > 0 of the valid sequence at i, or -k where k is the length of the maximal
     * invalid subpart (the bytes that started a sequence before it went wrong, at least 1).
     */
    private static int validSequenceLength(byte[] b, int i, int to) {
        int lead = b[i] & 0xFF;
        int need = sequenceLength(lead);
        if (need == 0) {
            return -1;
        }
        if (need == 1) {
            return 1;
        }
        for (int k = 1; k < need; k++) {
            if (i + k >= to) {
                return -k;
            }
            int c = b[i + k] & 0xFF;
            int lo = 0x80;
            int hi = 0xBF;
            if (k == 1) {
                // The second byte is restricted to exclude overlong forms, surrogates and > U+10FFFF.
                switch (lead) {
                    case 0xE0 -> lo = 0xA0;
                    case 0xED -> hi = 0x9F;
                    case 0xF0 -> lo = 0x90;
                    case 0xF4 -> hi = 0x8F;
                    default -> {
                    }
                }
            }
            if (c < lo || c > hi) {
                return -k;
            }
        }
        return need;
    }

    private static void appendCodePoint(StringBuilder sb, byte[] b, int i, int n) {
        int lead = b[i] & 0xFF;
        int cp = switch (n) {
            case 1 -> lead;
            case 2 -> lead & 0x1F;
            case 3 -> lead & 0x0F;
            default -> lead & 0x07;
        };
        for (int k = 1; k < n; k++) {
            cp = (cp << 6) | (b[i + k] & 0x3F);
        }
        sb.appendCodePoint(cp);
    }
}
