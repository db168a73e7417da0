"""Security e-mails, queued in the transaction of the key operation they
tell about and sent once it is committed, never inside it: an SMTP server
that is down, slow or refusing neither fails nor slows down the operation,
and a rolled back operation sends nothing. Sent by a thread as the request
that queued them ends (request_layer/after_response.py) and by a scheduled
action every minute, which retries failures every few minutes for a day.
Readable by Settings users only (Settings > Technical > API Key E-mails)."""
import logging
from datetime import datetime, timedelta

from odoo import api, fields, models, tools

from ..request_layer.current_call import notices_queued_for

_logger = logging.getLogger(__name__)

RETRY_SECONDS = 60  # after the first failure; then 2, 3 ... 5 minutes between attempts
MAX_RETRY_SECONDS = 300
GIVE_UP_AFTER = timedelta(days=1)
GIVEN_UP_KEPT = timedelta(days=30)  # in the queue, for Settings users to see, then forgotten
BATCH = 100  # notices one run sends at most: the scheduled action sends the rest


class ResUsersApikeysNotice(models.Model):
    _name = "res.users.apikeys.notice"
    _inherit = ["auth_apikeys.unreadable.as.missing"]
    _description = "API Key E-mail"
    _order = "id"
    _rec_name = "subject"

    email_to = fields.Char("To", required=True, readonly=True)
    subject = fields.Char(required=True, readonly=True)
    body = fields.Text(required=True, readonly=True)
    state = fields.Selection([("queued", "Queued"), ("failed", "Given up")], default="queued", required=True,
                             readonly=True, index=True)
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime("Next attempt", readonly=True, default=fields.Datetime.now, index=True)
    last_error = fields.Char(readonly=True)

    @api.model
    def _queue(self, email_to, subject, body):
        """Queue an e-mail, to be sent once the current transaction is committed."""
        self.sudo().create({"email_to": email_to, "subject": subject, "body": body})
        notices_queued_for(self.env.cr.dbname)

    @api.model
    def _send_queued(self):
        """Send the due e-mails, each in a transaction of its own: concurrent
        senders (threads, workers, the scheduled action) never send one twice."""
        for _sent in range(BATCH):
            self.env.cr.execute(
                """
                SELECT id FROM res_users_apikeys_notice
                 WHERE state = 'queued' AND next_attempt_at <= (now() at time zone 'utc')
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                """
            )
            row = self.env.cr.fetchone()
            if not row:
                return
            self.browse(row[0])._send()
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.multi
    def _send(self):
        """Hand the e-mail to Odoo's outgoing mail server; delete it once sent. An
        e-mail that cannot even be written (an address Odoo 11 cannot encode, which
        any user may give themself) is given up at once: it never holds up the queue."""
        mail_server = self.env["ir.mail_server"]
        try:
            message = mail_server.build_email(self._sender(), [self.email_to], self.subject, self.body)
        except Exception as error:
            self._postpone(error, give_up=True)
            return
        try:
            mail_server.send_email(message)
        except Exception as error:  # whatever the SMTP server or the network did: try again later
            self._postpone(error)
        else:
            _logger.info("Security e-mail #%s sent to %s: %s", self.id, self.email_to, self.subject)
            self.unlink()

    @api.multi
    def _postpone(self, error, give_up=False):
        attempts = self.attempts + 1
        give_up = give_up or fields.Datetime.from_string(self.create_date) < datetime.utcnow() - GIVE_UP_AFTER
        delay = min(RETRY_SECONDS * attempts, MAX_RETRY_SECONDS)
        self.write({
            "attempts": attempts, "state": "failed" if give_up else "queued", "last_error": tools.ustr(error)[:500],
            "next_attempt_at": fields.Datetime.to_string(datetime.utcnow() + timedelta(seconds=delay)),
        })
        _logger.warning("Security e-mail #%s to %s not sent (%s)%s", self.id, self.email_to, type(error).__name__,
                        ": given up" if give_up else ", next attempt in %s s" % delay)

    @api.model
    def _forget_given_up(self):
        """Daily (with the old events): forget e-mails given up GIVEN_UP_KEPT ago."""
        self.env.cr.execute(
            "DELETE FROM res_users_apikeys_notice WHERE state = 'failed' AND write_date <= %s",
            [fields.Datetime.to_string(datetime.utcnow() - GIVEN_UP_KEPT)],
        )

    @api.model
    def _sender(self):
        """auth_apikeys.email_from, else Odoo's email_from option, else noreply at web.base.url's host."""
        get = self.env["ir.config_parameter"].sudo().get_param
        host = (get("web.base.url") or "localhost").split("://")[-1].split("/")[0].split(":")[0]
        return get("auth_apikeys.email_from") or tools.config.get("email_from") or "noreply@%s" % host
