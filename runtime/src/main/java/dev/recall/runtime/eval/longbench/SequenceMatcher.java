package dev.recall.runtime.eval.longbench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code difflib.SequenceMatcher(None, a, b).ratio()} over code points, with its default
 * "autojunk" heuristic: in a b of 200 or more elements, an element occurring more than 1 % + 1
 * times is "popular" and never starts a match (it can still extend one). LongBench's code-edit
 * similarity is {@code fuzzywuzzy.fuzz.ratio}, which is this ratio when python-Levenshtein is not
 * installed, as LongBench's requirements leave it. Ratcliff/Obershelp: the longest matching block,
 * then the same on each side of it; the ratio is 2·matches / (len(a) + len(b)).
 */
final class SequenceMatcher {

    private final int[] a;
    private final int[] b;
    private final Map<Integer, int[]> b2j = new HashMap<>();

    SequenceMatcher(int[] a, int[] b) {
        this.a = a;
        this.b = b;
        Map<Integer, List<Integer>> indices = new HashMap<>();
        for (int j = 0; j < b.length; j++) {
            indices.computeIfAbsent(b[j], k -> new ArrayList<>()).add(j);
        }
        int popular = b.length >= 200 ? b.length / 100 + 1 : Integer.MAX_VALUE;
        for (Map.Entry<Integer, List<Integer>> e : indices.entrySet()) {
            if (e.getValue().size() <= popular) {
                b2j.put(e.getKey(), e.getValue().stream().mapToInt(Integer::intValue).toArray());
            }
        }
    }

    /** 2·M / T: M the elements in matching blocks, T both lengths together (1 for two empty sequences). */
    double ratio() {
        int total = a.length + b.length;
        return total == 0 ? 1.0 : 2.0 * matches() / total;
    }

    /** The number of elements in get_matching_blocks(). */
    int matches() {
        int sum = 0;
        Deque<int[]> queue = new ArrayDeque<>();
        queue.push(new int[]{0, a.length, 0, b.length});
        while (!queue.isEmpty()) {
            int[] q = queue.pop();
            int alo = q[0], ahi = q[1], blo = q[2], bhi = q[3];
            int[] m = longestMatch(alo, ahi, blo, bhi);
            int i = m[0], j = m[1], k = m[2];
            if (k > 0) {
                sum += k;
                if (alo < i && blo < j) {
                    queue.push(new int[]{alo, i, blo, j});
                }
                if (i + k < ahi && j + k < bhi) {
                    queue.push(new int[]{i + k, ahi, j + k, bhi});
                }
            }
        }
        return sum;
    }

    /** find_longest_match(alo, ahi, blo, bhi): the earliest longest block, extended over popular elements. */
    int[] longestMatch(int alo, int ahi, int blo, int bhi) {
        int besti = alo, bestj = blo, bestsize = 0;
        Map<Integer, Integer> j2len = new HashMap<>();
        for (int i = alo; i < ahi; i++) {
            Map<Integer, Integer> next = new HashMap<>();
            int[] js = b2j.get(a[i]);
            if (js != null) {
                for (int j : js) {
                    if (j < blo) {
                        continue;
                    }
                    if (j >= bhi) {
                        break;
                    }
                    int k = j2len.getOrDefault(j - 1, 0) + 1;
                    next.put(j, k);
                    if (k > bestsize) {
                        besti = i - k + 1;
                        bestj = j - k + 1;
                        bestsize = k;
                    }
                }
            }
            j2len = next;
        }
        // No element is junk (isjunk is None), so popular elements extend the block on both sides.
        while (besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1]) {
            besti--;
            bestj--;
            bestsize++;
        }
        while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] == b[bestj + bestsize]) {
            bestsize++;
        }
        return new int[]{besti, bestj, bestsize};
    }
}
