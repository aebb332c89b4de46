package rxkafka.interop;

import java.io.IOException;
import java.io.InputStream;

/**
 * Runs a Kafka node (kafka.Kafka) that dies with the process that started it: when its standard input
 * reaches end of file (the parent closed the pipe, or died, even by SIGKILL), the JVM halts at once.
 * So a crashed test run never leaves a broker behind. Arguments are kafka.Kafka's.
 */
public final class Broker {
  private Broker() {}

  public static void main(String[] args) throws Exception {
    Thread watchdog = new Thread(() -> {
      try {
        InputStream in = System.in;
        while (in.read() != -1) {
          // anything written is ignored; only the end of the stream counts
        }
      } catch (IOException ignored) {
        // a broken pipe is the parent going away too
      }
      System.err.println("rxkafka.interop.Broker: standard input closed, halting");
      Runtime.getRuntime().halt(3);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    kafka.Kafka.main(args);
  }
}
