package dev.recall.runtime.template;

import java.time.Duration;

/**
 * What one rendering may spend. A template that goes past a limit stops with a
 * {@link TemplateException} naming the limit; nothing it produced is returned.
 *
 * @param maxOutputChars the longest output, and the longest string or list built on the way
 * @param maxSteps       expression evaluations and statements executed, loop iterations included
 * @param maxDepth       nesting of evaluations at run time (macro calls included)
 * @param timeout        wall-clock time for the whole rendering
 */
public record TemplateLimits(int maxOutputChars, long maxSteps, int maxDepth, Duration timeout) {

    /**
     * Far above what a chat template needs for a long conversation (a 100,000-message history takes
     * a few million steps), far below what exhausts a JVM.
     */
    public static final TemplateLimits DEFAULT = new TemplateLimits(1 << 26, 50_000_000L, 200, Duration.ofSeconds(10));

    public TemplateLimits {
        if (maxOutputChars < 1 || maxSteps < 1 || maxDepth < 1 || timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("template limits must be positive");
        }
    }
}
