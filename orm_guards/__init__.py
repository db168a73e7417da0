"""Odoo 11's own holes that later Odoo closed and that a key's call reaches
through the ORM: secrets behind generic read paths (``secret_fields``, used
by ``models/base.py``), template code run as somebody else
(``template_rendering``), mail aliases routing as another user
(``mail_aliases``). Applied per registry by ``models/ir_translation.py``.
"""
