package rxkafka.interop;

import java.util.Map;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.server.policy.CreateTopicPolicy;

/**
 * A create-topic policy for the admin specs (create.topic.policy.class.name): refuses every topic whose
 * name starts with "forbidden-", so a real broker answers POLICY_VIOLATION for that topic alone.
 */
public final class ForbiddenTopicsPolicy implements CreateTopicPolicy {
  @Override
  public void configure(Map<String, ?> configs) {}

  @Override
  public void validate(RequestMetadata request) throws PolicyViolationException {
    if (request.topic().startsWith("forbidden-")) {
      throw new PolicyViolationException("topic names starting with forbidden- are refused by the test policy");
    }
  }

  @Override
  public void close() {}
}
