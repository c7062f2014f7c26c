"""Administrative dossiers (hồ sơ thủ tục hành chính): agency sync, deadlines, citizen lookup, KPIs."""
