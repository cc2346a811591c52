package persistence

// ListBookingsQuery exposes the SQL ListBookings runs, so tests can EXPLAIN exactly that query.
var ListBookingsQuery = listBookingsQuery
