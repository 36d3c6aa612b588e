import streamlit as st

st.title("settings (coming)")
