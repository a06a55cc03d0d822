"""What the fund learns: report facts derived per dossier, the period reports and their documents,
and the improvement register of step 8."""
