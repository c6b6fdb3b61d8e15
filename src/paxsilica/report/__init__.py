"""Presentation only: figures, HTML/PDF reports and i18n (English and Arabic)."""
