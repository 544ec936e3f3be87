package dev.recall.runtime.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a split does with the delimiters a pattern finds, as in Hugging Face's
 * {@code SplitDelimiterBehavior}. The pattern's matches and the gaps between them cover the text;
 * the behavior decides which pieces survive and which merge with a neighbour.
 */
enum SplitBehavior {
    REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

    static SplitBehavior fromJson(String name) {
        return switch (name) {
            case "Removed" -> REMOVED;
            case "Isolated" -> ISOLATED;
            case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> MERGED_WITH_NEXT;
            case "Contiguous" -> CONTIGUOUS;
            default -> throw new IllegalArgumentException("unsupported split behavior '" + name + "'");
        };
    }

    /** Splits s by pattern (or by its gaps when invert) and appends the non-empty pieces to out. */
    void split(String s, Pattern pattern, boolean invert, List<String> out) {
        if (s.isEmpty()) {
            return;
        }
        // Pieces as [start, end, isMatch] covering s, in order.
        List<int[]> pieces = new ArrayList<>();
        Matcher m = pattern.matcher(s);
        int prev = 0;
        while (m.find()) {
            if (m.start() == m.end()) {
                continue;
            }
            if (prev != m.start()) {
                pieces.add(new int[] {prev, m.start(), invert ? 1 : 0});
            }
            pieces.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
            prev = m.end();
        }
        if (prev != s.length()) {
            pieces.add(new int[] {prev, s.length(), invert ? 1 : 0});
        }
        for (int[] r : merge(pieces)) {
            if (r[1] > r[0]) {
                out.add(s.substring(r[0], r[1]));
            }
        }
    }

    /** Applies the behavior to the covering pieces; returns the ranges to keep. */
    private List<int[]> merge(List<int[]> pieces) {
        List<int[]> kept = new ArrayList<>();
        switch (this) {
            case ISOLATED -> kept.addAll(pieces);
            case REMOVED -> {
                for (int[] p : pieces) {
                    if (p[2] == 0) {
                        kept.add(p);
                    }
                }
            }
            case CONTIGUOUS -> {
                boolean previousMatch = false;
                for (int[] p : pieces) {
                    boolean isMatch = p[2] == 1;
                    if (isMatch == previousMatch && !kept.isEmpty()) {
                        kept.getLast()[1] = p[1];
                    } else {
                        kept.add(p.clone());
                    }
                    previousMatch = isMatch;
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                boolean previousMatch = false;
                for (int[] p : pieces) {
                    boolean isMatch = p[2] == 1;
                    if (isMatch && !previousMatch && !kept.isEmpty()) {
                        kept.getLast()[1] = p[1];
                    } else {
                        kept.add(p.clone());
                    }
                    previousMatch = isMatch;
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean previousMatch = false;
                for (int i = pieces.size() - 1; i >= 0; i--) {
                    int[] p = pieces.get(i);
                    boolean isMatch = p[2] == 1;
                    if (isMatch && !previousMatch && !kept.isEmpty()) {
                        kept.getLast()[0] = p[0];
                    } else {
                        kept.add(p.clone());
                    }
                    previousMatch = isMatch;
                }
                java.util.Collections.reverse(kept);
            }
        }
        return kept;
    }
}
