package dev.recall.models.griffin;

/**
 * The token-mixing half of a Griffin residual block: layer i is a recurrence or local attention
 * according to the config's repeating {@code block_types} pattern.
 */
sealed interface TemporalBlock permits RecurrentBlock, LocalAttentionBlock {
}
