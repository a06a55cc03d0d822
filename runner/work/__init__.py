"""The mediators' work: the werkbak, task forms, the case beside a task, the dossier page, its
timeline, and the intake of complaints received on paper or by phone."""
