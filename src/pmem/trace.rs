//! The trace a [`RecordingDevice`](super::RecordingDevice) keeps: every store, non-temporal
//! store, flush and fence in program order, tagged with the step that issued it.
//!
//! Store bytes live in one growing arena; an event holds only its arena offset and length, so
//! recording allocates nothing per event (beyond amortised vector growth).

use std::fmt;
use std::ops::Range;

use super::{check_range, Context, Error, CACHE_LINE};

/// What a trace event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Ordinary store: durable after a flush of its lines and a fence.
    Store,
    /// Non-temporal store: durable after the next fence.
    StoreNt,
    /// Write-back of the cache lines covering the event's range.
    Flush,
    /// Orders and completes earlier flushes and non-temporal stores of its context.
    Fence,
    /// A step boundary: stores nothing, marks a crash point (its tag names the step).
    Marker,
}

impl EventKind {
    /// All kinds, in display order.
    pub const ALL: [EventKind; 5] =
        [EventKind::Store, EventKind::StoreNt, EventKind::Flush, EventKind::Fence, EventKind::Marker];

    /// Short lower-case name (`store`, `store_nt`, `flush`, `fence`).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Store => "store",
            EventKind::StoreNt => "store_nt",
            EventKind::Flush => "flush",
            EventKind::Fence => "fence",
            EventKind::Marker => "marker",
        }
    }

    /// Whether the event writes bytes (a store of either kind).
    pub fn is_store(self) -> bool {
        matches!(self, EventKind::Store | EventKind::StoreNt)
    }

    fn index(self) -> usize {
        match self {
            EventKind::Store => 0,
            EventKind::StoreNt => 1,
            EventKind::Flush => 2,
            EventKind::Fence => 3,
            EventKind::Marker => 4,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One recorded device operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceEvent {
    /// Position in the trace, from 0, without gaps.
    pub seq: u64,
    /// What the event did.
    pub kind: EventKind,
    /// Device offset in bytes (0 for a fence).
    pub off: u64,
    /// Length in bytes (0 for a fence).
    pub len: u64,
    /// The tag current when the event was issued (for a marker: the step it closes).
    pub tag: &'static str,
    /// The context that issued the event.
    pub ctx: Context,
    /// Start of a store's bytes in the trace's arena (0 for flush and fence).
    data_start: usize,
}

impl TraceEvent {
    /// The device byte range `[off, off + len)` (saturating; recorded events never overflow).
    pub fn range(&self) -> Range<u64> {
        self.off..self.off.saturating_add(self.len)
    }

    /// Indices of the [`CACHE_LINE`]-byte lines the event touches (empty for a fence).
    pub fn lines(&self) -> Range<u64> {
        if self.len == 0 {
            return 0..0;
        }
        let end = self.off.saturating_add(self.len);
        self.off / CACHE_LINE..end.div_ceil(CACHE_LINE)
    }
}

/// Counts of one tag's events, as [`Trace::summary`] reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagSummary {
    /// The tag.
    pub tag: &'static str,
    /// Events per kind, indexed in [`EventKind::ALL`] order.
    pub counts: [u64; 5],
    /// Bytes written by stores of each kind: `[store, store_nt]`.
    pub stored_bytes: [u64; 2],
}

impl TagSummary {
    fn new(tag: &'static str) -> Self {
        TagSummary { tag, counts: [0; 5], stored_bytes: [0; 2] }
    }

    /// Number of events of `kind`.
    pub fn count(&self, kind: EventKind) -> u64 {
        self.counts[kind.index()]
    }

    fn add(&mut self, event: &TraceEvent) {
        self.counts[event.kind.index()] += 1;
        match event.kind {
            EventKind::Store => self.stored_bytes[0] += event.len,
            EventKind::StoreNt => self.stored_bytes[1] += event.len,
            EventKind::Flush | EventKind::Fence | EventKind::Marker => {}
        }
    }
}

impl fmt::Display for TagSummary {
    /// `store 3 (1.0 KiB), store_nt 1 (4096 B), flush 2, fence 1`, kinds with no events omitted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for kind in EventKind::ALL {
            let count = self.count(kind);
            if count == 0 {
                continue;
            }
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{kind} {count}")?;
            match kind {
                EventKind::Store => write!(f, " ({} B)", self.stored_bytes[0])?,
                EventKind::StoreNt => write!(f, " ({} B)", self.stored_bytes[1])?,
                EventKind::Flush | EventKind::Fence | EventKind::Marker => {}
            }
        }
        if first {
            f.write_str("no events")?;
        }
        Ok(())
    }
}

/// Every store, non-temporal store, flush and fence a recording device saw, in program order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    events: Vec<TraceEvent>,
    arena: Vec<u8>,
    counts: [u64; 5],
}

impl Trace {
    /// An empty trace.
    pub fn new() -> Self {
        Trace::default()
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event was recorded.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events in program order.
    pub fn iter(&self) -> std::slice::Iter<'_, TraceEvent> {
        self.events.iter()
    }

    /// The events as a slice (index = `seq`).
    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    /// The event at position `seq`.
    pub fn get(&self, seq: u64) -> Option<&TraceEvent> {
        usize::try_from(seq).ok().and_then(|i| self.events.get(i))
    }

    /// The bytes a store event wrote (empty for flush and fence). `event` must come from this
    /// trace; for a foreign event the result is meaningless (but never a panic).
    pub fn data(&self, event: &TraceEvent) -> &[u8] {
        if !event.kind.is_store() {
            return &[];
        }
        let Ok(len) = usize::try_from(event.len) else {
            return &[];
        };
        event.data_start.checked_add(len).and_then(|end| self.arena.get(event.data_start..end)).unwrap_or(&[])
    }

    /// Events per kind, in [`EventKind::ALL`] order.
    pub fn kind_counts(&self) -> [u64; 5] {
        self.counts
    }

    /// Total bytes held for store data.
    pub fn data_len(&self) -> usize {
        self.arena.len()
    }

    /// The events issued under `tag`, in program order.
    pub fn events_tagged<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a TraceEvent> + 'a {
        self.events.iter().filter(move |event| event.tag == tag)
    }

    /// Apply a store event's bytes to `image` (a crash state being rebuilt); flush and fence
    /// events change nothing. `OutOfRange` if the store does not fit in `image`.
    pub fn apply(&self, event: &TraceEvent, image: &mut [u8]) -> Result<(), Error> {
        if !event.kind.is_store() {
            return Ok(());
        }
        let range = check_range(event.off, event.len, super::len_u64(image.len()))?;
        let data = self.data(event);
        if data.len() != range.len() {
            // The event came from another trace: its bytes are not in this arena.
            return Err(Error::OutOfRange { off: event.off, len: event.len, size: super::len_u64(self.arena.len()) });
        }
        image[range].copy_from_slice(data);
        Ok(())
    }

    /// Event counts and stored bytes per tag, tags in order of first appearance.
    pub fn summary(&self) -> Vec<TagSummary> {
        let mut tags: Vec<TagSummary> = Vec::new();
        for event in &self.events {
            match tags.iter_mut().find(|summary| summary.tag == event.tag) {
                Some(summary) => summary.add(event),
                None => {
                    let mut summary = TagSummary::new(event.tag);
                    summary.add(event);
                    tags.push(summary);
                }
            }
        }
        tags
    }

    /// Counts over the whole trace (reported under the tag `"total"`).
    pub fn totals(&self) -> TagSummary {
        let mut total = TagSummary::new("total");
        self.events.iter().for_each(|event| total.add(event));
        total
    }

    /// Record a store of either kind; the caller has bounds-checked it.
    pub(crate) fn push_store(&mut self, kind: EventKind, off: u64, bytes: &[u8], tag: &'static str, ctx: Context) {
        debug_assert!(kind.is_store());
        let data_start = self.arena.len();
        self.arena.extend_from_slice(bytes);
        self.push(kind, off, super::len_u64(bytes.len()), tag, ctx, data_start);
    }

    /// Record a flush; the caller has bounds-checked it.
    pub(crate) fn push_flush(&mut self, off: u64, len: u64, tag: &'static str, ctx: Context) {
        self.push(EventKind::Flush, off, len, tag, ctx, 0);
    }

    /// Record a fence.
    pub(crate) fn push_fence(&mut self, tag: &'static str, ctx: Context) {
        self.push(EventKind::Fence, 0, 0, tag, ctx, 0);
    }

    /// Record a step boundary.
    pub(crate) fn push_marker(&mut self, step: &'static str, ctx: Context) {
        self.push(EventKind::Marker, 0, 0, step, ctx, 0);
    }

    fn push(&mut self, kind: EventKind, off: u64, len: u64, tag: &'static str, ctx: Context, data_start: usize) {
        let seq = super::len_u64(self.events.len());
        self.counts[kind.index()] += 1;
        self.events.push(TraceEvent { seq, kind, off, len, tag, ctx, data_start });
    }

    /// The markers (step boundaries) in program order: `(position, step, context)`.
    pub fn markers(&self) -> impl Iterator<Item = (u64, &'static str, Context)> + '_ {
        self.events.iter().filter(|e| e.kind == EventKind::Marker).map(|e| (e.seq, e.tag, e.ctx))
    }
}

impl<'a> IntoIterator for &'a Trace {
    type Item = &'a TraceEvent;
    type IntoIter = std::slice::Iter<'a, TraceEvent>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl fmt::Display for Trace {
    /// A compact summary: one line of totals, then one line per tag.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} events: {}", self.len(), self.totals())?;
        for summary in self.summary() {
            write!(f, "\n  {}: {summary}", summary.tag)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Trace {
        let mut trace = Trace::new();
        trace.push_store(EventKind::Store, 100, b"abc", "mkfs", Context::Fault);
        trace.push_flush(64, 64, "mkfs", Context::Fault);
        trace.push_fence("mkfs", Context::Fault);
        trace.push_store(EventKind::StoreNt, 4096, &[7; 8], "zero-block", Context::Fault);
        trace.push_fence("zero-block", Context::Fault);
        trace.push_store(EventKind::Store, 0, b"z", "mkfs", Context::Fault);
        trace
    }

    #[test]
    fn events_are_numbered_and_carry_their_data() {
        let trace = sample();
        assert_eq!(trace.len(), 6);
        let seqs: Vec<u64> = trace.iter().map(|event| event.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4, 5]);
        assert_eq!(trace.data(&trace.events()[0]), b"abc");
        assert_eq!(trace.data(&trace.events()[3]), &[7; 8]);
        assert_eq!(trace.data(&trace.events()[5]), b"z");
        assert!(trace.data(&trace.events()[1]).is_empty());
        assert_eq!(trace.data_len(), 12);
        assert_eq!(trace.get(4).unwrap().kind, EventKind::Fence);
        assert!(trace.get(6).is_none());
        assert!(trace.get(u64::MAX).is_none());
    }

    #[test]
    fn events_tagged_filters_in_order() {
        let trace = sample();
        let seqs: Vec<u64> = trace.events_tagged("mkfs").map(|event| event.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 5]);
        assert_eq!(trace.events_tagged("nothing").count(), 0);
    }

    #[test]
    fn lines_cover_the_touched_cache_lines() {
        let trace = sample();
        assert_eq!(trace.events()[0].lines(), 1..2); // 100..103
        assert_eq!(trace.events()[1].lines(), 1..2); // 64..128
        assert_eq!(trace.events()[2].lines(), 0..0); // fence
        assert_eq!(trace.events()[3].lines(), 64..65); // 4096..4104
        let straddle = TraceEvent {
            seq: 0,
            kind: EventKind::Store,
            off: 60,
            len: 8,
            tag: "t",
            ctx: Context::Fault,
            data_start: 0,
        };
        assert_eq!(straddle.lines(), 0..2);
    }

    #[test]
    fn summary_counts_per_tag_and_displays_compactly() {
        let trace = sample();
        let summary = trace.summary();
        assert_eq!(summary.len(), 2);
        assert_eq!(summary[0].tag, "mkfs");
        assert_eq!(summary[0].counts, [2, 0, 1, 1, 0]);
        assert_eq!(summary[0].stored_bytes, [4, 0]);
        assert_eq!(summary[1].tag, "zero-block");
        assert_eq!(summary[1].count(EventKind::StoreNt), 1);
        assert_eq!(
            trace.to_string(),
            "6 events: store 2 (4 B), store_nt 1 (8 B), flush 1, fence 2\n  \
             mkfs: store 2 (4 B), flush 1, fence 1\n  \
             zero-block: store_nt 1 (8 B), fence 1"
        );
        assert_eq!(Trace::new().to_string(), "0 events: no events");
    }

    #[test]
    fn apply_replays_stores_and_checks_bounds() {
        let trace = sample();
        let mut image = vec![0u8; 8192];
        for event in &trace {
            trace.apply(event, &mut image).unwrap();
        }
        assert_eq!(&image[100..103], b"abc");
        assert_eq!(&image[4096..4104], &[7; 8]);
        assert_eq!(image[0], b'z');
        let mut small = vec![0u8; 101];
        assert!(matches!(trace.apply(&trace.events()[0], &mut small), Err(Error::OutOfRange { .. })));
        assert!(small.iter().all(|&b| b == 0));
        let foreign = Trace::new();
        assert!(foreign.apply(&trace.events()[3], &mut image).is_err());
        assert!(foreign.data(&trace.events()[3]).is_empty());
    }
}
