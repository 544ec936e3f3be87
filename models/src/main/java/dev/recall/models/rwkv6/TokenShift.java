package dev.recall.models.rwkv6;

/**
 * RWKV's token shift: every token is mixed with the one before it. Within a batch that is the
 * previous row; the first row of a batch uses the last token of the previous batch, kept in the
 * state (zero before the first token), so a prompt prefilled in pieces equals one piece.
 */
final class TokenShift {

    private TokenShift() {
    }

    /**
     * For rows [r0, r0 + t) of x ({@code [·, n]}, one sequence's piece) writes
     * {@code dx[s] = x[s − 1] − x[s]} into the same rows of dx, with {@code x[r0 − 1] = previous},
     * then stores the piece's last row into {@code previous}.
     */
    static void differences(float[] x, int r0, int t, int n, float[] previous, float[] dx) {
        int first = r0 * n;
        for (int c = 0; c < n; c++) {
            dx[first + c] = previous[c] - x[first + c];
        }
        for (int i = first + n; i < first + t * n; i++) {
            dx[i] = x[i - n] - x[i];
        }
        System.arraycopy(x, first + (t - 1) * n, previous, 0, n);
    }

    /** Writes {@code x + dx · mu} into out ({@code [t, n]}), with a per-channel mixing coefficient mu. */
    static void mix(float[] x, float[] dx, int t, float[] mu, float[] out) {
        int n = mu.length;
        for (int i = 0; i < t * n; i++) {
            out[i] = x[i] + dx[i] * mu[i % n];
        }
    }

    /**
     * RWKV-6's data-dependent mix, in place on {@code delta} ({@code [t, n]}, the per-token
     * correction): {@code delta ← x + dx · (mu + delta)}.
     */
    static void mixInto(float[] x, float[] dx, int t, float[] mu, float[] delta) {
        int n = mu.length;
        for (int i = 0; i < t * n; i++) {
            delta[i] = x[i] + dx[i] * (mu[i % n] + delta[i]);
        }
    }
}
