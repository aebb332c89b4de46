package rxkafka.interop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;

/** The partition command: which partition the Java producer's default partitioner picks for each key. */
final class Partition {
  private Partition() {}

  static void run(Map<String, String> args) throws Exception {
    int partitions = Integer.parseInt(Interop.required(args, "partitions"));
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String key = stdin.readLine(); key != null; key = stdin.readLine()) {
      ObjectNode line = Interop.JSON.createObjectNode();
      line.put("key", key);
      line.put("partition", BuiltInPartitioner.partitionForKey(Interop.bytes(key), partitions));
      Interop.emit(line);
    }
  }
}
