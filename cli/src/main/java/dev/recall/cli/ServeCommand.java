package dev.recall.cli;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.server.RecallServer;
import dev.recall.server.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code recall serve}: the OpenAI HTTP API over a model until the process is stopped (SIGTERM or
 * Ctrl-C), then a graceful stop: no new connections, requests in progress get
 * {@code --shutdown-timeout} seconds to finish.
 */
@Command(name = "serve", usageHelpAutoWidth = true,
        description = {"Serve a model over the OpenAI HTTP API (/v1/chat/completions, /v1/completions, /v1/models, "
                + "/health, /metrics), decoding concurrent requests together."})
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address to listen on (0.0.0.0: every interface). Default: ${DEFAULT-VALUE}")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "Port (0: any free one). Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "4",
            description = "Requests decoded together. Default: ${DEFAULT-VALUE}")
    int parallel;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "Requests that may wait for a place; more are answered 429. Default: ${DEFAULT-VALUE}")
    int queue;

    @Option(names = "--ctx-size", paramLabel = "N", defaultValue = "0",
            description = "Prompt plus reply tokens per request (0: only the request limits bound them). Default: ${DEFAULT-VALUE}")
    int contextSize;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "256",
            description = "Reply length when a request sets none. Default: ${DEFAULT-VALUE}")
    int maxTokens;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Require 'Authorization: Bearer KEY' on /v1/ (default: $RECALL_API_KEY, else no key).")
    String apiKey;

    @Option(names = "--model-id", paramLabel = "NAME", description = "The model's name in responses (default: its file or folder name).")
    String modelId;

    @Option(names = "--cache-mb", paramLabel = "MB", defaultValue = "512",
            description = "Memory for the prompt cache: states kept so that a prompt continuing an earlier one "
                    + "resumes from it (0: off). Default: ${DEFAULT-VALUE}")
    long cacheMb;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "On SIGTERM, how long requests in progress may take to finish. Default: ${DEFAULT-VALUE}")
    int shutdownTimeout;

    @Override
    public Integer call() throws InterruptedException {
        String key = apiKey != null ? apiKey : System.getenv("RECALL_API_KEY");
        if (key != null && key.isBlank()) {
            throw new RecallException("the API key is empty");
        }
        if (shutdownTimeout < 0) {
            throw new RecallException("--shutdown-timeout must be ≥ 0, got " + shutdownTimeout);
        }
        String id = modelId != null ? modelId : model.dir().getFileName().toString();
        if (cacheMb < 0 || cacheMb > (1L << 40)) {
            throw new RecallException("--cache-mb must be ≥ 0, got " + cacheMb);
        }
        ServerOptions options = new ServerOptions(host, port, parallel, queue, contextSize, key, id, null, maxTokens,
                cacheMb << 20);
        LoadedModel loaded = model.load();
        RecallServer server;
        try {
            server = RecallServer.start(loaded, options);
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
        PrintWriter err = spec.commandLine().getErr();
        err.printf("recall: serving %s on http://%s:%d/v1 (%d in parallel%s)%n", id, host, server.port(), parallel,
                key != null ? ", API key required" : "");
        err.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(shutdownTimeout);
            loaded.close();
            stopped.countDown();
            err.println("recall: stopped");
            err.flush();
            // A stop asked for is a success: exit 0, not the JVM's 128 + signal.
            Runtime.getRuntime().halt(0);
        }, "recall-serve-shutdown"));
        stopped.await();
        return 0;
    }
}
