package dev.recall.runtime.eval.longbench;

import dev.recall.runtime.eval.longbench.LongBenchMetrics.Metric;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * LongBench's metrics on hand-worked examples. Each expected value is worked out in the comment
 * from the published definition (LongBench metrics.py, pltrdy/rouge, difflib, fuzzywuzzy).
 */
class LongBenchMetricsTest {

    @Test
    void normalisationIsLongBenchs() {
        // lower; ASCII punctuation removed (the hyphen joins "an-the"); articles; white space incl. U+00A0.
        assertEquals("eiffel tower in paris", LongBenchMetrics.normalize("The Eiffel\u00a0Tower, in Paris."));
        assertEquals("théâtre anthe", LongBenchMetrics.normalize("Théâtre an-the a."));
        assertEquals("", LongBenchMetrics.normalize(" The. a an "));
    }

    @Test
    void qaF1() {
        // prediction "eiffel tower in paris" (4 words), answer "eiffel tower" (2): 2 in common,
        // P = 2/4, R = 2/2, F1 = 2·0.5·1 / 1.5 = 2/3.
        assertEquals(2.0 / 3, LongBenchMetrics.qaF1("The Eiffel Tower, in Paris.", "Eiffel tower"), 1e-12);
        assertEquals(1.0, LongBenchMetrics.qaF1("Paris", "paris!"), 0);
        assertEquals(0.0, LongBenchMetrics.qaF1("London", "Paris"), 0);
        // Words count with multiplicity: "x x y" against "x y y" share one x and one y: P = R = 2/3.
        assertEquals(2.0 / 3, LongBenchMetrics.qaF1("x x y", "x y y"), 1e-12);
        assertEquals(0.0, LongBenchMetrics.qaF1("", "Paris"), 0);
    }

    @Test
    void rougeL() {
        // One sentence each. Distinct words: prediction {the, cat, sat, on, mat} n = 5, reference
        // {the, cat, is, on, mat} m = 5; LCS "the cat on the mat" has distinct words {the, cat, on,
        // mat}: 4. R = P = 4/5, F = 2·0.64 / (1.6 + 1e-8).
        assertEquals(2 * 0.64 / (1.6 + 1e-8), RougeL.f("the cat sat on the mat", "the cat is on the mat"), 1e-15);
        // n = 4, m = 6, LCS "the gunman" = 2: R = 1/3, P = 1/2, F = 2·(1/6) / (5/6 + 1e-8) ≈ 0.4.
        assertEquals(2 * (1.0 / 6) / (5.0 / 6 + 1e-8),
                RougeL.f("police killed the gunman", "the gunman was killed by police"), 1e-15);
        // Sentences cut at "."; the union of LCS words runs over reference sentences: prediction
        // sentences "The cat sat", "The dog ran" (n = {The, cat, sat, dog, ran} = 5); reference
        // "The dog sat", "A cat ran" (m = {The, dog, sat, A, cat, ran} = 6). Reference 1's LCS with
        // each prediction sentence: "The sat", "The dog" → {The, sat, dog}; reference 2's: "cat",
        // "ran" → the union is {The, sat, dog, cat, ran} = 5. R = 5/6, P = 5/5, F = 10/11.
        assertEquals(2 * (5.0 / 6) / (5.0 / 6 + 1 + 1e-8), RougeL.f("The cat sat. The dog ran.", "The dog sat. A cat ran."),
                1e-15);
        // A piece of white space before "." is a sentence whose one word is "": n = {"", x} = 2, m = 1, LCS_u = 1.
        assertEquals(2 * 0.5 / (1.5 + 1e-8), RougeL.f("  . x", "x"), 1e-15);
        // No sentence at all: the package raises, LongBench scores 0.
        assertEquals(0.0, RougeL.f("", "x"), 0);
        assertEquals(0.0, RougeL.f("...", "x"), 0);
    }

    @Test
    void classificationKeepsPythonsSkipWhenRemovingWhileIterating() {
        // Matched [Human, Human being]; "Human" is part of the answer and not it: removed. 1/1.
        assertEquals(1.0, LongBenchMetrics.classification("Human being", "Human being",
                List.of("Human", "Human being", "Location")), 0);
        // Matched [A, AB, ABC, X]; removing "A" makes the loop skip "AB", which stays: [AB, ABC, X] → 1/3.
        assertEquals(1.0 / 3, LongBenchMetrics.classification("ABC X", "ABC", List.of("A", "AB", "ABC", "X")), 1e-15);
        assertEquals(0.0, LongBenchMetrics.classification("Location", "Human", List.of("Human", "Location")), 0);
    }

    @Test
    void retrievalAndCountShareTheNumbers() {
        // Numbers 3, 12, 3 of which two are the answer's 3: 2/3. Unicode digits count as numbers, as in Python.
        assertEquals(2.0 / 3, LongBenchMetrics.retrieval("Paragraph 3, not 12, so 3", "Paragraph 3"), 1e-15);
        assertEquals(0.5, LongBenchMetrics.retrieval("Paragraph ٣ or 3", "Paragraph 3"), 0);
        assertEquals(0.0, LongBenchMetrics.retrieval("none", "Paragraph 3"), 0);
        assertThrows(IllegalArgumentException.class, () -> LongBenchMetrics.retrieval("3", "the third"));
        assertEquals(1.0, LongBenchMetrics.count("There are 14", "14"), 0);
        assertEquals(0.5, LongBenchMetrics.count("14 or 15", "14"), 0);
    }

    @Test
    void codeSimilarityIsFuzzRatioOfTheFirstPlainLine() {
        // difflib: "return x" (8) + "+" (1) + "y;" (2) = 11 matches; 2·11 / 24 = 0.9167 → 92.
        assertEquals(0.92, LongBenchMetrics.codeSim("\n\n// add\nreturn x + y;\nfoo", "return x+y;"), 0);
        assertEquals(0.67, LongBenchMetrics.codeSim("abc", "abd"), 0); // 2·2/6 → 66.7 → 67
        assertEquals(1.0, LongBenchMetrics.codeSim("```\n# c\n", ""), 0); // no plain line: "" equals ""
        assertEquals(0.0, LongBenchMetrics.codeSim("```", "x"), 0);       // "" against text: 0
        // Autojunk: b has 260 ≥ 200 elements, so 'a' (240×) and 'c' (20×) are popular and start no
        // match; the empty match at 0 is extended over the 240 a's: 2·240 / 511 = 0.939 → 94.
        assertEquals(94, LongBenchMetrics.fuzzRatio("a".repeat(250) + "b", "a".repeat(240) + "c".repeat(20)));
        assertEquals(51, LongBenchMetrics.fuzzRatio("int i = 0;", "for (int i = 0; i < n; i++) {"));
    }

    @Test
    void firstLineForTheFewShotTasks() {
        assertEquals("Location", LongBenchMetrics.firstLineFor("trec", "\n\nLocation\nQuestion: x"));
        assertEquals("a\nb", LongBenchMetrics.firstLineFor("hotpotqa", "a\nb"));
        assertEquals(1.0, Metric.QA_F1.score("Paris", "paris", List.of()), 0);
    }
}
