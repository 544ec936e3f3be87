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
     * For the t rows of x ({@code [t, n]}) writes {@code dx[s] = x[s − 1] − x[s]} into dx, with
     * {@code x[−1] = previous}, then stores the last row of x into {@code previous}.
     */
    static void differences(float[] x, int t, int n, float[] previous, float[] dx) {
        for (int c = 0; c < n; c++) {
            dx[c] = previous[c] - x[c];
        }
        for (int i = n; i < t * n; i++) {
            dx[i] = x[i - n] - x[i];
        }
        System.arraycopy(x, (t - 1) * n, previous, 0, n);
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
