-- The batch worker asks whether an earlier run's claim was already recorded (its answer then lost), by message id.
CREATE INDEX provision_records_message_id ON provision_records (message_id);
