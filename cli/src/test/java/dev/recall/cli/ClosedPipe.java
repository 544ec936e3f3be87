package dev.recall.cli;

import java.io.IOException;
import java.io.OutputStream;

/** Standard output whose reader has gone: every write fails as a closed pipe does, and is counted. */
final class ClosedPipe extends OutputStream {
    int writes;

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        writes++;
        throw new IOException("Broken pipe");
    }
}
