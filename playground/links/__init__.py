"""What a link or a file carries: the URL (``url``), the model file (``model_file``) and hidden controls
(``hiding``)."""
