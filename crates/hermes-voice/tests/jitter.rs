//! Out-of-order, duplicated, lost and wrapping frames.

use hermes_voice::jitter::{JitterBuffer, Out};

#[test]
fn in_order_frames_pass_straight_through() {
    let mut b = JitterBuffer::new(3);
    for s in 100..110u16 {
        assert_eq!(b.push(s, s), vec![Out::Frame(s)]);
    }
}

#[test]
fn a_swapped_pair_comes_out_in_order() {
    let mut b = JitterBuffer::new(3);
    assert_eq!(b.push(1, 1), vec![Out::Frame(1)]);
    assert_eq!(b.push(3, 3), vec![]);
    assert_eq!(b.push(2, 2), vec![Out::Frame(2), Out::Frame(3)]);
    assert_eq!(b.push(4, 4), vec![Out::Frame(4)]);
}

#[test]
fn duplicates_and_late_frames_are_dropped_and_counted() {
    let mut b = JitterBuffer::new(3);
    b.push(10, 10);
    b.push(11, 11);
    // Already handed on: a repeat of it is as late as an old frame.
    assert_eq!(b.push(11, 11), vec![]);
    assert_eq!(b.push(9, 9), vec![]);
    assert_eq!(b.push(12, 12), vec![Out::Frame(12)]);
    b.push(14, 14);
    assert_eq!(b.push(14, 14), vec![], "a duplicate while waiting");
    assert_eq!((b.duplicates, b.late), (1, 2));
}

#[test]
fn a_lost_frame_becomes_a_gap_after_the_depth() {
    let mut b = JitterBuffer::new(3);
    b.push(1, 1);
    // 2 never comes.
    assert_eq!(b.push(3, 3), vec![]);
    assert_eq!(b.push(4, 4), vec![]);
    assert_eq!(
        b.push(5, 5),
        vec![Out::Missing(2), Out::Frame(3), Out::Frame(4), Out::Frame(5)]
    );
    assert_eq!(b.missing, 1);
    // It arriving afterwards is late, not replayed.
    assert_eq!(b.push(2, 2), vec![]);
    assert_eq!(b.late, 1);
}

#[test]
fn sequence_numbers_wrap() {
    let mut b = JitterBuffer::new(3);
    let seqs = [65533u16, 65534, 0, 65535, 1, 2];
    let mut got = Vec::new();
    for s in seqs {
        got.extend(b.push(s, s));
    }
    assert_eq!(
        got,
        [65533u16, 65534, 65535, 0, 1, 2]
            .iter()
            .map(|s| Out::Frame(*s))
            .collect::<Vec<_>>()
    );
}
