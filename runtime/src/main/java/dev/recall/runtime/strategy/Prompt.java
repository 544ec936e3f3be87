package dev.recall.runtime.strategy;

/**
 * A long-context request in token ids: optional instruction prefix, the long context, and the query.
 * A plain prompt is prefix + context + query.
 */
public record Prompt(int[] prefix, int[] context, int[] query) {

    public Prompt {
        prefix = prefix == null ? new int[0] : prefix;
        context = context == null ? new int[0] : context;
        query = query == null ? new int[0] : query;
    }

    /** A prompt with no prefix/query split: everything is context. */
    public static Prompt plain(int[] ids) {
        return new Prompt(new int[0], ids, new int[0]);
    }

    public int length() {
        return prefix.length + context.length + query.length;
    }

    /** prefix + context + query as one array. */
    public int[] concatenated() {
        return concat(prefix, context, query);
    }

    public static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int o = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
