"""The investigation of step 4 inside the product: consulting the fund's services without
the member's identity, and asking the member a question answered on the status page."""
