package rxkafka.interop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** ConsumerRecord as the JSON object both readers print. */
final class Records {
  private Records() {}

  static ObjectNode toJson(ConsumerRecord<byte[], byte[]> record) {
    ObjectNode json = Interop.JSON.createObjectNode();
    json.put("topic", record.topic());
    json.put("partition", record.partition());
    json.put("offset", record.offset());
    json.put("timestamp", record.timestamp());
    json.put("timestampType", record.timestampType().name);
    json.put("key", Interop.text(record.key()));
    json.put("value", Interop.text(record.value()));
    ObjectNode headers = json.putObject("headers");
    for (Header header : record.headers()) headers.put(header.key(), Interop.text(header.value()));
    ObjectNode line = Interop.JSON.createObjectNode();
    line.set("record", json);
    return line;
  }
}
