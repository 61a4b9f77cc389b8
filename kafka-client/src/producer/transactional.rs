//! The transactional half of [`Producer`]: `init_transactions`, `begin_transaction`,
//! `send_offsets_to_transaction`, `commit_transaction` and `abort_transaction`.
//!
//! These methods only perform I/O. What is allowed, what to send next, whether a failure is
//! fatal, abortable or retried, and which state follows are the
//! [`TransactionManager`](super::transaction::TransactionManager)'s decisions
//! (`transaction/manager.rs`); the requests are in `transaction/requests.rs`, retried by the
//! client's retry policy (`crate::retry`).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::time::Instant;
use tracing::info;

use super::idempotence::ProducerIdAndEpoch;
use super::transaction::{self, EndStep, Transactions};
use super::Producer;
use crate::backoff::ExponentialBackoff;
use crate::consumer::ConsumerGroupMetadata;
use crate::error::{Error, Result};
use crate::retry::Retry;
use crate::types::TopicPartition;

impl Producer {
    fn transactions(&self, call: &'static str) -> Result<&Arc<Transactions>> {
        self.shared().txn.as_ref().ok_or_else(|| {
            Error::config(
                "transactional.id",
                format!("not set: {call} needs a transactional producer"),
            )
        })
    }

    /// The retry budget of one step of a transactional call: its deadline (`max.block.ms`
    /// from the call's start) and the client's `retry.backoff.ms`, with the transaction
    /// requests' rule ([`transaction::retriable`]).
    fn txn_retry(&self, what: &'static str, deadline: Instant) -> Retry {
        let config = &self.shared().config;
        Retry::until(
            what,
            deadline,
            config.max_block,
            ExponentialBackoff::retry(&config.client),
            transaction::retriable,
        )
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.shared().config.max_block
    }

    /// Registers the `transactional.id` with its transaction coordinator (FindCoordinator,
    /// then InitProducerId with `transaction.timeout.ms`): the producer gets its id and a new
    /// epoch, which fences every older producer with the same id, and the coordinator aborts
    /// (or completes) a transaction such a predecessor left open. Call once, before any other
    /// transactional call.
    ///
    /// Retries while the coordinator is loading, moving or finishing a previous transaction,
    /// for at most `max.block.ms`; after a timeout it may be called again. Fails with
    /// [`Error::InvalidTransactionState`] if called twice,
    /// [`Error::TransactionalIdAuthorizationFailed`], or [`Error::Config`] on a producer
    /// without `transactional.id`.
    ///
    /// ```no_run
    /// # async fn demo() -> kafkito::Result<()> {
    /// use kafkito::{Producer, ProducerConfig, ProducerRecord};
    ///
    /// let producer = Producer::new(ProducerConfig::from_properties([
    ///     ("bootstrap.servers", "localhost:9092"),
    ///     ("transactional.id", "orders-enricher-1"),
    /// ])?)
    /// .await?;
    /// producer.init_transactions().await?;
    /// loop {
    ///     producer.begin_transaction()?;
    ///     producer.send(ProducerRecord::new("enriched").value("v")).await?;
    ///     match producer.commit_transaction().await {
    ///         Ok(()) => break,
    ///         // Something in the transaction failed: abort it and try again.
    ///         Err(e) if e.is_abortable() => producer.abort_transaction().await?,
    ///         // Fenced by a newer instance, or a timeout: give up.
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn init_transactions(&self) -> Result<()> {
        let txn = self.transactions("init_transactions")?;
        let _call = txn.calls.lock().await;
        let bump_from = txn.manager().start_init()?;
        let deadline = self.deadline();
        let result = self
            .init_producer_id(txn, bump_from, deadline, "init_transactions")
            .await;
        txn.manager().on_producer_id(result)?;
        self.shared().wake_sender.notify_one();
        Ok(())
    }

    /// InitProducerId for the transactional id, retried until `deadline`.
    async fn init_producer_id(
        &self,
        txn: &Arc<Transactions>,
        bump_from: Option<ProducerIdAndEpoch>,
        deadline: Instant,
        what: &'static str,
    ) -> Result<ProducerIdAndEpoch> {
        let shared = self.shared();
        let timeout = shared.config.transaction_timeout;
        self.txn_retry(what, deadline)
            .whole(&shared.metadata, || {
                transaction::init_producer_id(&shared.metadata, txn, timeout, bump_from)
            })
            .await
    }

    /// Starts a transaction: from now until [`commit_transaction`](Self::commit_transaction)
    /// or [`abort_transaction`](Self::abort_transaction), every record sent belongs to it.
    /// Local only (the coordinator learns of the transaction with its first partition).
    ///
    /// Fails with [`Error::InvalidTransactionState`] unless the producer is initialized and
    /// no transaction is open.
    pub fn begin_transaction(&self) -> Result<()> {
        self.transactions("begin_transaction")?.manager().begin()
    }

    /// Adds `offsets` (per partition, the next offset to read) of the consumer group
    /// `group` to the transaction: they are committed if and only if the transaction commits
    /// — the read-process-write loop of exactly-once. AddOffsetsToTxn goes to the
    /// transaction coordinator, then TxnOffsetCommit to the group's coordinator with the
    /// member's generation, member id and `group.instance.id` (KIP-447), so a consumer that
    /// lost its partitions cannot commit through a transaction either.
    ///
    /// Bounded by `max.block.ms`. A failure other than a timeout makes the transaction
    /// abortable ([`Error::TransactionAbortable`]) or, when fenced, the producer unusable.
    ///
    /// ```no_run
    /// # async fn demo(consumer: &kafkito::Consumer, producer: &kafkito::Producer) -> kafkito::Result<()> {
    /// use std::collections::HashMap;
    /// use kafkito::admin::TopicPartition;
    ///
    /// producer.begin_transaction()?;
    /// // ... poll, process, send the results ...
    /// let next = HashMap::from([(TopicPartition::new("input", 0), 42)]);
    /// producer.send_offsets_to_transaction(&next, &consumer.group_metadata()?).await?;
    /// producer.commit_transaction().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_offsets_to_transaction(
        &self,
        offsets: &HashMap<TopicPartition, i64>,
        group: &ConsumerGroupMetadata,
    ) -> Result<()> {
        let txn = self.transactions("send_offsets_to_transaction")?;
        let _call = txn.calls.lock().await;
        let producer = txn.manager().start_send_offsets()?;
        if offsets.is_empty() {
            return Ok(());
        }
        let shared = self.shared();
        let metadata = &shared.metadata;
        let deadline = self.deadline();
        txn.manager().mark_offsets_added();
        let sent = async {
            self.txn_retry("AddOffsetsToTxn", deadline)
                .whole(metadata, || {
                    transaction::add_offsets(metadata, txn, producer, &group.group_id)
                })
                .await?;
            self.txn_retry("TxnOffsetCommit", deadline)
                .whole(metadata, || {
                    transaction::txn_offset_commit(metadata, txn, producer, offsets, group)
                })
                .await
        }
        .await;
        txn.manager().on_send_offsets(sent)?;
        info!(transactional_id = %txn.manager().transactional_id(), group = %group.group_id, partitions = offsets.len(), "offsets added to the transaction");
        Ok(())
    }

    /// Commits the transaction: sends everything still queued, waits for every record's
    /// acknowledgement, then ends the transaction (EndTxn commit). Records and offsets of the
    /// transaction become visible to `read_committed` consumers together.
    ///
    /// Bounded by `max.block.ms`. After a timeout, call it again to finish the same commit
    /// (abort is not allowed then). Fails with [`Error::TransactionAbortable`] when a record
    /// of the transaction failed: call [`abort_transaction`](Self::abort_transaction).
    pub async fn commit_transaction(&self) -> Result<()> {
        let txn = self.transactions("commit_transaction")?;
        let _call = txn.calls.lock().await;
        txn.manager().begin_commit()?;
        self.end_transaction(txn, true).await
    }

    /// Aborts the transaction: records not yet sent fail with
    /// [`Error::TransactionAborted`], those in flight are waited for, then EndTxn(abort)
    /// makes the coordinator write abort markers, so `read_committed` consumers never see
    /// the transaction's records, and its offsets are not committed. The only call allowed
    /// after an abortable error.
    ///
    /// Bounded by `max.block.ms`; after a timeout, call it again.
    pub async fn abort_transaction(&self) -> Result<()> {
        let txn = self.transactions("abort_transaction")?;
        let _call = txn.calls.lock().await;
        txn.manager().begin_abort()?;
        self.end_transaction(txn, false).await
    }

    /// Performs the steps the manager decides ([`EndStep`]) until the transaction is over.
    async fn end_transaction(&self, txn: &Arc<Transactions>, commit: bool) -> Result<()> {
        let shared = self.shared();
        let what = if commit {
            "commit_transaction"
        } else {
            "abort_transaction"
        };
        let deadline = self.deadline();
        let timed_out = |waiting_for: &str| Error::Timeout {
            what: format!("{what}: waiting for {waiting_for}"),
            after: shared.config.max_block,
        };
        // Commit: send what is queued and wait for it. Abort: the sender fails what is
        // queued (it sees the ABORTING state); wait for what is in flight.
        shared.wake_sender.notify_one();
        let flushed = tokio::time::timeout_at(deadline, self.flush())
            .await
            .map_err(|_| timed_out("the transaction's records"))?;
        txn.manager().on_flushed(commit, flushed)?;
        loop {
            // Registered before the decision, so that an AddPartitionsToTxn answer arriving
            // between the two is not missed.
            let changed = txn.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let step = txn.manager().next_end_step(commit)?;
            match step {
                EndStep::AwaitAddPartitions => {
                    tokio::time::timeout_at(deadline, changed)
                        .await
                        .map_err(|_| timed_out("AddPartitionsToTxn"))?;
                }
                EndStep::EndTxn { producer, commit } => {
                    let ended = self
                        .txn_retry("EndTxn", deadline)
                        .whole(&shared.metadata, || {
                            transaction::end_txn(&shared.metadata, txn, producer, commit)
                        })
                        .await;
                    txn.manager().on_end_txn(commit, ended)?;
                }
                EndStep::BumpEpoch { current } => {
                    let bumped = self.init_producer_id(txn, current, deadline, what).await;
                    txn.manager().on_producer_id(bumped)?;
                }
                EndStep::Done => break,
            }
        }
        shared.wake_sender.notify_one();
        info!(transactional_id = %txn.manager().transactional_id(), committed = commit, "transaction ended");
        Ok(())
    }
}
