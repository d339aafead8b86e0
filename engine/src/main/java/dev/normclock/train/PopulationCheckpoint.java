package dev.normclock.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import dev.normclock.backend.Tensor;
import dev.normclock.model.Population;

/**
 * A population's complete state between two steps — every model's parameters and Adam moments
 * and the {@link TrainerState} — in one file. The file carries a fingerprint of what the
 * population trains (so a checkpoint is never applied to another plan) and a CRC-32C of its
 * contents; it is written to a temporary file, forced to disk and renamed over the old one, so a
 * crash at any moment leaves either the previous checkpoint or the new one, never a torn file.
 */
public final class PopulationCheckpoint {
    private static final int MAGIC = 0x4E43_4B50; // "NCKP"
    private static final int VERSION = 4; // 2: Paper B metrics at grok; 3: clamp targets set at a fork; 4: a third double per slot (once the allocated share, now unused: kept so that checkpoints of version 4 still resume)

    private PopulationCheckpoint() {
    }

    /** Thrown for a checkpoint that exists but cannot be used; the message says what to do. */
    public static final class CorruptCheckpointException extends RuntimeException {
        public CorruptCheckpointException(String message) {
            super(message);
        }
    }

    public static void write(Path file, String fingerprint, Population pop, TrainerState state) throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(header)) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(fingerprint);
            state.write(out);
        }
        Tensor[] tensors = pop.state();
        CRC32C crc = new CRC32C();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer head = ByteBuffer.allocate(4).putInt(header.size()).flip();
            crc.update(head.duplicate());
            writeFully(ch, head);
            ByteBuffer body = ByteBuffer.wrap(header.toByteArray());
            crc.update(body.duplicate());
            writeFully(ch, body);
            for (Tensor t : tensors)
                for (long done = 0, size = t.seg.byteSize(); done < size; ) { // a ByteBuffer holds under 2 GiB
                    long chunk = Math.min(size - done, Integer.MAX_VALUE / 2);
                    ByteBuffer data = t.seg.asSlice(done, chunk).asByteBuffer();
                    crc.update(data.duplicate());
                    writeFully(ch, data);
                    done += chunk;
                }
            writeFully(ch, ByteBuffer.allocate(8).putLong(crc.getValue()).flip());
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /**
     * Restores the tensors of {@code pop} and returns the trainer state, or null when there is no
     * checkpoint. A file that is torn, altered or written for another plan is refused. The file is
     * read twice — once for its checksum, once into the tensors — through a small buffer, so a
     * population of any size resumes without a copy of it on the heap.
     */
    public static TrainerState read(Path file, String fingerprint, Population pop) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return null;
        }
        String fix = "; delete it to train that population again from the start";
        try (ch) {
            long length = ch.size();
            if (length < 12) throw new CorruptCheckpointException("checkpoint " + file + " is truncated" + fix);
            long body = length - 8;
            CRC32C crc = new CRC32C();
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            for (long at = 0; at < body; ) {
                buf.clear().limit((int) Math.min(buf.capacity(), body - at));
                at += readFully(ch, buf, at);
                crc.update(buf.flip());
            }
            if (crc.getValue() != readFully(ch, 8, body).getLong())
                throw new CorruptCheckpointException("checkpoint " + file + " fails its checksum (torn or altered)" + fix);
            int headerSize = readFully(ch, 4, 0).getInt();
            if (headerSize < 0 || 4L + headerSize > body) throw new CorruptCheckpointException("checkpoint " + file + " is truncated" + fix);
            TrainerState state;
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(readFully(ch, headerSize, 4).array()))) {
                if (in.readInt() != MAGIC) throw new CorruptCheckpointException(file + " is not a normclock checkpoint" + fix);
                int version = in.readInt();
                if (version != VERSION)
                    throw new CorruptCheckpointException("checkpoint " + file + " has format " + version + ", this normclock reads " + VERSION + fix);
                String found = in.readUTF();
                if (!found.equals(fingerprint))
                    throw new CorruptCheckpointException("checkpoint " + file + " belongs to a different plan than the one being run" + fix);
                state = TrainerState.read(in);
            }
            if (state.models() != pop.models())
                throw new CorruptCheckpointException("checkpoint " + file + " holds " + state.models() + " models, the plan " + pop.models() + fix);
            long offset = 4L + headerSize;
            for (Tensor t : pop.state()) {
                long size = t.seg.byteSize();
                if (offset + size > body) throw new CorruptCheckpointException("checkpoint " + file + " is shorter than its population" + fix);
                for (long done = 0; done < size; ) {
                    long chunk = Math.min(size - done, Integer.MAX_VALUE / 2);
                    done += readFully(ch, t.seg.asSlice(done, chunk).asByteBuffer(), offset + done);
                }
                offset += size;
            }
            if (offset != body) throw new CorruptCheckpointException("checkpoint " + file + " is longer than its population" + fix);
            return state;
        }
    }

    /** Fills {@code b} from the file at {@code position}; returns the bytes read. */
    private static int readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        int n = 0;
        while (b.hasRemaining()) {
            int r = ch.read(b, position + n);
            if (r < 0) throw new java.io.EOFException("unexpected end of " + ch);
            n += r;
        }
        return n;
    }

    private static ByteBuffer readFully(FileChannel ch, int bytes, long position) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(bytes);
        readFully(ch, b, position);
        return b.flip();
    }
}
