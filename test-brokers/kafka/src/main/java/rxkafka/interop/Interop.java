package rxkafka.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The Java client (kafka-clients) as rxkafka's interop peer. One command per run:
 *
 * <pre>
 *   produce --bootstrap B --topic T [--compression C] [--transactional-id ID] [--linger-ms N]
 *       stdin: one JSON line per record {"key","value","partition","timestamp","headers":{..}},
 *              or {"op":"begin"|"commit"|"abort"|"flush"}
 *       stdout: {"sent":{"partition","offset"}} per record once acknowledged, then {"done":n}
 *   consume --bootstrap B --topic T --count N [--isolation read_committed|read_uncommitted] [--timeout-ms N] [--linger-ms N]
 *       reads every partition from the start until N records arrived
 *       stdout: {"record":{..}} per record, then {"done":n}
 *   group --bootstrap B --topic T --group G [--protocol classic|consumer] [--assignor range|cooperative-sticky]
 *         [--remote-assignor uniform|range]
 *       a group member that commits what it read after every poll (classic: --assignor; consumer, KIP-848:
 *       the broker assigns, with --remote-assignor)
 *       stdin: "leave" closes it (leaving the group)
 *       stdout: {"assigned":[..]}, {"revoked":[..]}, {"record":{..}}, {"committed":..}, then {"closed":true}
 *   share --bootstrap B --topic T --group G [--release-first N] [--hold-after N]
 *       a KafkaShareConsumer member (explicit acknowledgement) that accepts every record, releasing multiples of N
 *       on their first delivery; after --hold-after N accepted records it stops settling and waits to be killed
 *       stdout: {"accepted"|"released": value, "deliveryCount", "partition"[, "failed": true]} after each commitSync,
 *               {"holding": value} for each record it keeps
 *   partition --partitions N
 *       stdin: one key per line; stdout: the default partitioner's partition for each key (murmur2)
 * </pre>
 *
 * Keys, values and header values are UTF-8 text (null where absent). Every line on stdout is one JSON
 * object; diagnostics and client logs go to stderr. Exit code 0 on success, 1 with {"error":".."} otherwise.
 */
public final class Interop {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  private Interop() {}

  public static void main(String[] argv) {
    try {
      if (argv.length == 0) throw new IllegalArgumentException("usage: Interop produce|consume|group|partition --option value ...");
      Map<String, String> args = parseArgs(argv);
      switch (argv[0]) {
        case "produce" -> Produce.run(args);
        case "consume" -> Consume.run(args);
        case "group" -> Group.run(args);
        case "partition" -> Partition.run(args);
        case "share" -> Share.run(args);
        default -> throw new IllegalArgumentException("unknown command " + argv[0] + ": use produce, consume, group or partition");
      }
      System.exit(0);
    } catch (Throwable e) {
      ObjectNode error = JSON.createObjectNode();
      error.put("error", e.toString());
      emit(error);
      e.printStackTrace();
      System.exit(1);
    }
  }

  static Map<String, String> parseArgs(String[] argv) {
    Map<String, String> args = new HashMap<>();
    for (int i = 1; i < argv.length; i += 2) {
      if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("expected --name value at " + argv[i]);
      args.put(argv[i].substring(2), argv[i + 1]);
    }
    return args;
  }

  static String required(Map<String, String> args, String name) {
    String value = args.get(name);
    if (value == null) throw new IllegalArgumentException("--" + name + " is required");
    return value;
  }

  static Properties clientProperties(Map<String, String> args) {
    Properties props = new Properties();
    props.put("bootstrap.servers", required(args, "bootstrap"));
    props.put("client.id", "rxkafka-interop-java");
    return props;
  }

  /** Writes one JSON line; synchronized because client callbacks run on other threads. */
  static synchronized void emit(ObjectNode line) {
    try {
      OUT.println(JSON.writeValueAsString(line));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  static byte[] bytes(String text) {
    return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
  }
}
