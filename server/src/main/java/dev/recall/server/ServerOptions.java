package dev.recall.server;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.api.RequestLimits;

/**
 * How {@code recall serve} runs.
 *
 * @param host          the address to listen on (127.0.0.1: this machine only)
 * @param port          the port (0: any free one)
 * @param parallel      sequences decoded together
 * @param maxQueued     requests that may wait for a place; more are answered 429
 * @param contextSize   prompt plus reply tokens a request may use (0: only the request limits bound it)
 * @param apiKey        the key clients must send as a bearer token (null: none)
 * @param modelId       the model's name in responses and {@code /v1/models}
 * @param limits        prompt and reply limits of every request
 * @param defaultMaxTokens reply length when a request gives none
 * @param cacheBytes    state bytes the prompt cache may keep (0: no cache)
 */
public record ServerOptions(String host, int port, int parallel, int maxQueued, int contextSize, String apiKey,
                            String modelId, RequestLimits limits, int defaultMaxTokens, long cacheBytes) {

    public ServerOptions {
        if (port < 0 || port > 65535) {
            throw new RecallException("the port must be in 0..65535, got " + port);
        }
        if (parallel < 1 || parallel > 256) {
            throw new RecallException("--parallel must be in 1..256, got " + parallel);
        }
        if (maxQueued < 0) {
            throw new RecallException("the queue length must be ≥ 0, got " + maxQueued);
        }
        if (contextSize < 0) {
            throw new RecallException("--ctx-size must be ≥ 0, got " + contextSize);
        }
        if (defaultMaxTokens < 0) {
            throw new RecallException("the default reply length must be ≥ 0, got " + defaultMaxTokens);
        }
        if (cacheBytes < 0) {
            throw new RecallException("the prompt cache size must be ≥ 0, got " + cacheBytes);
        }
        limits = limits == null ? SERVER_LIMITS : limits;
    }

    /**
     * A server's own defaults, tighter than the command line's: 1 Mi characters of prompt text,
     * 256 Ki prompt tokens, 32 Ki reply tokens.
     */
    public static final RequestLimits SERVER_LIMITS = new RequestLimits(1 << 20, 1 << 18, 1 << 15);
}
