package dev.recall.server;

/**
 * A request the server answers with an error: its HTTP status and OpenAI's error object
 * ({@code {"error": {"message", "type", "param", "code"}}}).
 */
final class ApiError extends RuntimeException {

    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String message, String param, String code) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    static ApiError badRequest(String message, String param) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    static ApiError unauthorized() {
        return new ApiError(401, "authentication_error", "a valid API key is needed: send it as 'Authorization: Bearer KEY'",
                null, "invalid_api_key");
    }

    static ApiError notFound(String path) {
        return new ApiError(404, "not_found_error", "there is no endpoint " + path, null, null);
    }

    static ApiError methodNotAllowed(String method, String path) {
        return new ApiError(405, "invalid_request_error", path + " does not take " + method, null, null);
    }

    static ApiError tooLarge(String message) {
        return new ApiError(413, "invalid_request_error", message, null, "context_length_exceeded");
    }

    static ApiError busy(String message) {
        return new ApiError(429, "rate_limit_error", message, null, "server_busy");
    }

    static ApiError unavailable(String message) {
        return new ApiError(503, "unavailable_error", message, null, null);
    }

    static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, null);
    }
}
