//! librdkafka admin operations that the `rdkafka` crate does not wrap: DescribeCluster,
//! ListConsumerGroups and DescribeConsumerGroups. They are here only because of the requests
//! they make librdkafka send, which the crate's API never produces: ListGroups v5 with states
//! and types filters, ConsumerGroupDescribe (tried before DescribeGroups, the fallback for
//! classic groups) and Metadata v10 asking for cluster authorized operations (librdkafka
//! implements DescribeCluster with Metadata, so no DescribeCluster request is ever sent).
//!
//! Each call follows librdkafka's admin pattern: a private result queue, options with a request
//! timeout, the call, one event polled from the queue. Only what the driver logs is read back.

use std::ffi::{c_char, CStr, CString};

use rdkafka::bindings as rd;

use crate::Result;

const TIMEOUT_MS: i32 = 15_000;

/// One admin request in flight: its options and its result queue, freed on drop.
struct Call {
    options: *mut rd::rd_kafka_AdminOptions_t,
    queue: *mut rd::rd_kafka_queue_t,
}

impl Call {
    /// # Safety
    /// `rk` must be a live librdkafka handle that outlives the call.
    unsafe fn new(rk: *mut rd::rd_kafka_t, op: rd::rd_kafka_admin_op_t) -> Result<Call> {
        let call = Call {
            options: rd::rd_kafka_AdminOptions_new(rk, op),
            queue: rd::rd_kafka_queue_new(rk),
        };
        let mut errstr = [0 as c_char; 512];
        let err = rd::rd_kafka_AdminOptions_set_request_timeout(
            call.options,
            TIMEOUT_MS,
            errstr.as_mut_ptr(),
            errstr.len(),
        );
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(cstr(errstr.as_ptr()).into());
        }
        Ok(call)
    }

    /// Waits for the operation's single result event and checks its top-level error.
    unsafe fn wait(&self, what: &str) -> Result<Event> {
        let event = rd::rd_kafka_queue_poll(self.queue, TIMEOUT_MS + 5_000);
        if event.is_null() {
            return Err(format!("{what}: no result within the timeout").into());
        }
        let event = Event(event);
        if rd::rd_kafka_event_error(event.0) != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
        {
            return Err(
                format!("{what}: {}", cstr(rd::rd_kafka_event_error_string(event.0))).into(),
            );
        }
        Ok(event)
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        // SAFETY: both were created by `Call::new` and are freed exactly once, here.
        unsafe {
            rd::rd_kafka_AdminOptions_destroy(self.options);
            rd::rd_kafka_queue_destroy(self.queue);
        }
    }
}

struct Event(*mut rd::rd_kafka_event_t);

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: polled from a queue by `Call::wait`, destroyed exactly once.
        unsafe { rd::rd_kafka_event_destroy(self.0) }
    }
}

fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: librdkafka hands out NUL-terminated strings that live as long as their owner,
    // which outlives this copy.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn check(error: *mut rd::rd_kafka_error_t) -> Result<()> {
    if error.is_null() {
        return Ok(());
    }
    // SAFETY: a non-null error returned by an options setter, ours to read and destroy.
    let message = unsafe {
        let message = cstr(rd::rd_kafka_error_string(error));
        rd::rd_kafka_error_destroy(error);
        message
    };
    Err(message.into())
}

/// DescribeCluster, asking for authorized operations: librdkafka sends Metadata v10 with
/// IncludeClusterAuthorizedOperations set (the last version that has the flag).
pub fn describe_cluster(rk: *mut rd::rd_kafka_t) -> Result<String> {
    // SAFETY: `rk` comes from a live client the caller holds for the duration.
    unsafe {
        let call = Call::new(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
        )?;
        check(rd::rd_kafka_AdminOptions_set_include_authorized_operations(
            call.options,
            1,
        ))?;
        rd::rd_kafka_DescribeCluster(rk, call.options, call.queue);
        let event = call.wait("DescribeCluster")?;
        let result = rd::rd_kafka_event_DescribeCluster_result(event.0);
        let mut nodes = 0;
        rd::rd_kafka_DescribeCluster_result_nodes(result, &mut nodes);
        Ok(format!(
            "cluster {} with {nodes} node(s)",
            cstr(rd::rd_kafka_DescribeCluster_result_cluster_id(result))
        ))
    }
}

/// ListConsumerGroups filtered by state (ListGroups v4+) and by type (ListGroups v5).
pub fn list_consumer_groups(rk: *mut rd::rd_kafka_t) -> Result<Vec<String>> {
    use rd::rd_kafka_consumer_group_state_t as State;
    use rd::rd_kafka_consumer_group_type_t as Type;
    // SAFETY: as in `describe_cluster`; the filter arrays outlive the setter calls, which copy.
    unsafe {
        let call = Call::new(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
        )?;
        let states = [
            State::RD_KAFKA_CONSUMER_GROUP_STATE_STABLE,
            State::RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY,
        ];
        check(rd::rd_kafka_AdminOptions_set_match_consumer_group_states(
            call.options,
            states.as_ptr(),
            states.len(),
        ))?;
        let types = [
            Type::RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC,
            Type::RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER,
        ];
        check(rd::rd_kafka_AdminOptions_set_match_consumer_group_types(
            call.options,
            types.as_ptr(),
            types.len(),
        ))?;
        rd::rd_kafka_ListConsumerGroups(rk, call.options, call.queue);
        let event = call.wait("ListConsumerGroups")?;
        let result = rd::rd_kafka_event_ListConsumerGroups_result(event.0);
        let mut count = 0;
        let listings = rd::rd_kafka_ListConsumerGroups_result_valid(result, &mut count);
        let mut groups = Vec::new();
        for i in 0..count {
            groups.push(cstr(rd::rd_kafka_ConsumerGroupListing_group_id(
                *listings.add(i),
            )));
        }
        let mut errors = 0;
        let errs = rd::rd_kafka_ListConsumerGroups_result_errors(result, &mut errors);
        for i in 0..errors {
            eprintln!(
                "  ListConsumerGroups partial error: {}",
                cstr(rd::rd_kafka_error_string(*errs.add(i)))
            );
        }
        Ok(groups)
    }
}

/// DescribeConsumerGroups: ConsumerGroupDescribe first, DescribeGroups for classic groups.
pub fn describe_consumer_groups(rk: *mut rd::rd_kafka_t, groups: &[&str]) -> Result<Vec<String>> {
    let names: Vec<CString> = groups
        .iter()
        .map(|g| CString::new(*g))
        .collect::<Result<_, _>>()?;
    let mut pointers: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
    // SAFETY: as in `describe_cluster`; `names` and `pointers` outlive the call, which copies.
    unsafe {
        let call = Call::new(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
        )?;
        check(rd::rd_kafka_AdminOptions_set_include_authorized_operations(
            call.options,
            1,
        ))?;
        rd::rd_kafka_DescribeConsumerGroups(
            rk,
            pointers.as_mut_ptr(),
            pointers.len(),
            call.options,
            call.queue,
        );
        let event = call.wait("DescribeConsumerGroups")?;
        let result = rd::rd_kafka_event_DescribeConsumerGroups_result(event.0);
        let mut count = 0;
        let descriptions = rd::rd_kafka_DescribeConsumerGroups_result_groups(result, &mut count);
        let mut out = Vec::new();
        for i in 0..count {
            let d = *descriptions.add(i);
            let error = rd::rd_kafka_ConsumerGroupDescription_error(d);
            let error = if error.is_null() {
                String::from("ok")
            } else {
                cstr(rd::rd_kafka_error_string(error))
            };
            out.push(format!(
                "{}: {:?}, {:?}, {error}",
                cstr(rd::rd_kafka_ConsumerGroupDescription_group_id(d)),
                rd::rd_kafka_ConsumerGroupDescription_type(d),
                rd::rd_kafka_ConsumerGroupDescription_state(d),
            ));
        }
        Ok(out)
    }
}
