// Typed aws-sdk-client-mock matchers (toHaveReceivedCommandWith, ...), registered once.
import "aws-sdk-client-mock-vitest/extend";
