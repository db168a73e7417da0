"""The server's log says what the server did, never what a client wrote as a line.

- A login, a path, a user agent, a field name may carry a newline or another
  control character: logged as is, it starts a line of the client's choosing
  (a fake "Login successful with API key") or hides one (a carriage return,
  a terminal escape). Every record's message is made one line as the record
  is made, whatever logger writes it (Odoo's, werkzeug's, the addon's, and
  messages formatted before logging, as werkzeug's request line is): such
  characters are written as Python escapes. A traceback keeps its own lines;
  the messages of its exceptions are made one line too.
- Odoo logs a failed query ("bad query: ...") with its parameters merged in:
  a new password's hash, a token, a key's hash. That record is made with the
  query's string literals replaced. The narrower change, logging the query
  without its parameters, would mean rewriting ``Cursor.execute``, the
  hottest function of Odoo; this costs nothing until a query fails, catches
  a credential in any column, and keeps the query's shape for whoever debugs it.
"""
import logging
import re
import sys
import traceback

STRING_LITERAL = re.compile(r"(?:\b[Ee])?'(?:[^']|'')*'")  # as psycopg2 quotes strings and bytes
NOT_LOGGED = "(message not logged)"
FAILED_QUERY = "bad query: %s\nERROR: %s"  # odoo.sql_db's


def one_line(text):
    """`text` with every character that is not printable (newlines, controls,
    U+2028, lone surrogates ...) written as its Python escape."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def traceback_text(exc_info, hide_messages=False):
    """The traceback as logging writes it, each exception's message on one line (or left out)."""
    exception = traceback.TracebackException(*exc_info)
    link = exception
    while link is not None:
        link._str = NOT_LOGGED if hide_messages else one_line(link._str)
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
    return "".join(exception.format()).rstrip("\n")


def log_traceback_without_messages(logger, level, message, *args):
    """In an except block: log `message` with the traceback, its exceptions'
    messages left out (they may quote the call, a password included)."""
    if logger.isEnabledFor(level):
        record = logger.makeRecord(logger.name, level, "(unknown file)", 0, message, args, None)
        record.exc_text = traceback_text(sys.exc_info(), hide_messages=True)
        logger.handle(record)


def _redact_failed_query(record):
    """odoo.sql_db's "bad query" line: the query (bytes, as psycopg2 merged it) without its string literals."""
    if record.name == "odoo.sql_db" and record.msg == FAILED_QUERY and isinstance(record.args, tuple) \
            and len(record.args) == 2:
        query, error = record.args
        query = query.decode("utf-8", "replace") if isinstance(query, bytes) else str(query)
        record.args = (STRING_LITERAL.sub("'(not logged)'", query), error)


def _make_one_line(record):
    _redact_failed_query(record)
    try:
        message = record.getMessage()
    except Exception:  # the handler reports a broken record as it always does
        return
    record.msg, record.args = one_line(message.rstrip("\r\n")), ()
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = traceback_text(record.exc_info)


def _one_line_records(factory):
    def make_record(*args, **kwargs):
        record = factory(*args, **kwargs)
        _make_one_line(record)
        return record

    make_record.auth_apikeys_one_line = True
    return make_record


def apply():
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "auth_apikeys_one_line", False):
        logging.setLogRecordFactory(_one_line_records(factory))
