from odoo import fields, models


class ResGroups(models.Model):
    _inherit = "res.groups"

    # Same field as native Odoo 18. A user's keys may last as long as the largest
    # value among their groups (1 day if none sets one); administrators are not bound.
    api_key_duration = fields.Float(
        "API key maximum duration (days)",
        help="How long an API key made by a member of this group may last at most.",
    )
