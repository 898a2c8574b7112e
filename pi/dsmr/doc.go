// Package dsmr parses P1 telegrams of Dutch (DSMR 2.2, 3.0, 4.x, 5.0) and
// Belgian (e-MUCS) smart meters into a protocol.Reading, the data a service
// provider may receive, plus a richer Telegram that also carries what stays
// on the reader (equipment ids, text messages, unknown lines, field errors).
//
// A telegram is a header line starting with '/', OBIS lines, and an end line
// starting with '!' followed (DSMR 4 and later) by a CRC-16/ARC of every byte
// from the '/' up to and including the '!'. Parse checks the frame and the
// CRC and rejects the telegram only for those; a single bad value inside a
// telegram with a valid CRC is recorded in Telegram.FieldErrors and the rest
// is kept, because real meters do send such values.
//
// Framer cuts a byte stream (a serial port, a file) into telegram candidates.
package dsmr
