//! Whole exchanges through the SIP core, message by message, with the clock
//! in the test's hands: registration, a call answered and hung up, a call
//! cancelled, busy and unknown numbers, retransmissions.

mod calls;
mod phone;
