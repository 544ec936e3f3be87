package dev.recall.cli;

import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code recall serve} as a process: it says where it listens, answers, and stops with 0 on SIGTERM. */
class ServeCommandTest {

    @Test
    void servesAndStopsGracefullyOnSigterm() throws Exception {
        Path model = SharedData.zoo().resolve("mamba");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                RecallCli.class.getName(), "serve", "--model", model.toString(), "--port", "0", "--parallel", "2");
        Process p = new ProcessBuilder(command).start();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            Pattern serving = Pattern.compile("recall: serving mamba on http://127\\.0\\.0\\.1:(\\d+)/v1 \\(2 in parallel\\)");
            String port = null;
            String line;
            while (port == null && (line = err.readLine()) != null) {
                Matcher m = serving.matcher(line);
                if (m.find()) {
                    port = m.group(1);
                }
            }
            assertTrue(port != null, "no 'serving' line on stderr");
            String base = "http://127.0.0.1:" + port;
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"The\", \"max_tokens\": 4, \"temperature\": 0}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            p.toHandle().destroy(); // SIGTERM, leaving our end of its pipes open
            StringBuilder rest = new StringBuilder();
            while ((line = err.readLine()) != null) {
                rest.append(line).append('\n');
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server did not stop");
            assertEquals(0, p.exitValue(), rest.toString());
            assertTrue(rest.toString().contains("recall: stopped"), rest.toString());
        } finally {
            p.destroyForcibly();
        }
    }
}
