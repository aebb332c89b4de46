package rxkafka.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The produce command: records from stdin, each acknowledged on stdout. */
final class Produce {
  private Produce() {}

  static void run(Map<String, String> args) throws Exception {
    String topic = Interop.required(args, "topic");
    Properties props = Interop.clientProperties(args);
    props.put("key.serializer", ByteArraySerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    props.put("acks", "all");
    props.put("compression.type", args.getOrDefault("compression", "none"));
    props.put("linger.ms", args.getOrDefault("linger-ms", "5"));
    String transactionalId = args.get("transactional-id");
    if (transactionalId != null) props.put("transactional.id", transactionalId);
    AtomicInteger acknowledged = new AtomicInteger();
    AtomicReference<Exception> failure = new AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      if (transactionalId != null) producer.initTransactions();
      BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = stdin.readLine(); line != null; line = stdin.readLine()) {
        if (line.isBlank()) continue;
        JsonNode command = Interop.JSON.readTree(line);
        String op = command.path("op").asText("send");
        switch (op) {
          case "begin" -> producer.beginTransaction();
          case "commit" -> producer.commitTransaction();
          case "abort" -> producer.abortTransaction();
          case "flush" -> producer.flush();
          case "send" -> producer.send(record(topic, command), (metadata, error) -> {
            if (error != null) {
              failure.compareAndSet(null, error);
              return;
            }
            acknowledged.incrementAndGet();
            ObjectNode sent = Interop.JSON.createObjectNode();
            sent.putObject("sent").put("partition", metadata.partition()).put("offset", metadata.offset());
            Interop.emit(sent);
          });
          default -> throw new IllegalArgumentException("unknown op " + op + ": use begin, commit, abort, flush or a record");
        }
      }
      producer.flush();
    }
    if (failure.get() != null) throw failure.get();
    ObjectNode done = Interop.JSON.createObjectNode();
    done.put("done", acknowledged.get());
    Interop.emit(done);
  }

  private static ProducerRecord<byte[], byte[]> record(String topic, JsonNode json) {
    Integer partition = json.hasNonNull("partition") ? json.get("partition").asInt() : null;
    Long timestamp = json.hasNonNull("timestamp") ? json.get("timestamp").asLong() : null;
    byte[] key = json.hasNonNull("key") ? Interop.bytes(json.get("key").asText()) : null;
    byte[] value = json.hasNonNull("value") ? Interop.bytes(json.get("value").asText()) : null;
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, partition, timestamp, key, value);
    JsonNode headers = json.path("headers");
    for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> header = it.next();
      record.headers().add(header.getKey(), header.getValue().isNull() ? null : Interop.bytes(header.getValue().asText()));
    }
    return record;
  }
}
